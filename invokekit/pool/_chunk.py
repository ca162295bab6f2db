"""One chunk of a pool's sweep on one server, and which errors mean that server is gone.

A chunk is the unit of the exactly-once promise across servers: one server-side batch (its own
client-chosen batch id) of a few sweep items. The errors that drop a server are the ones that
say it cannot be reached or watched; anything else (bad input, a full disk) ends the run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from invokekit.errors import DownloadError, JobError, MonitorError, ServerError

if TYPE_CHECKING:
    from invokekit.client import Job
    from invokekit.pool._share import ServerState

#: the errors that mean "this server is gone", not "this input is wrong"
SERVER_FAULTS = (ServerError, MonitorError, JobError)


def server_fault(exc: BaseException) -> bool:
    """``exc`` says the server went away (a download counts when the server did not deliver)."""
    if isinstance(exc, DownloadError):
        return isinstance(exc.__cause__, ServerError)
    return isinstance(exc, SERVER_FAULTS)


@dataclass
class Chunk:
    """One server-side batch of a few of the sweep's items."""

    server: ServerState
    batch_id: str
    indices: list[int]
    sent_at: float
    job: Job | None = None
    index_of: dict[int, int] = field(default_factory=dict)  # item id -> sweep index
    open: set[int] = field(default_factory=set)  # indices not finished yet


__all__ = ["SERVER_FAULTS", "Chunk", "server_fault"]
