"""One chunk of a pool's sweep on one server, and which errors mean that server is gone.

A chunk is the unit of the exactly-once promise across servers: one server-side batch (its own
client-chosen batch id) of a few sweep items. The errors that drop a server are the ones that
say it cannot be reached or watched; anything else (bad input, a full disk) ends the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from invokekit.errors import DownloadError, InvokekitError, JobError, MonitorError, ServerError

if TYPE_CHECKING:
    import os

    from invokekit.client import Job
    from invokekit.pool._share import ServerState
    from invokekit.results import ItemResult, Journal

log = logging.getLogger("invokekit.pool")
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


def name_files(journal: Journal, pool_id: str, chunk: Chunk, result: ItemResult,
               out_dir: str | os.PathLike[str]) -> None:
    """Journal each image's file name before it is fetched: a crash after the file is in place
    but before its download is journaled leaves a file a resume must know as this item's."""
    from pathlib import Path

    assert chunk.job is not None
    for ref in result.images:
        name = chunk.job.files.file_name(out_dir, result, ref)  # the download uses this name
        journal.append("pool_file", chunk.batch_id, pool_id=pool_id, image_name=ref.image_name,
                       path=str(Path(out_dir) / name))


def cancel_chunk(chunk: Chunk) -> None:
    """Cancel what the chunk's server still holds of it (a server already dropped is not asked)."""
    if chunk.job is not None and chunk.server.alive:
        try:
            chunk.job.cancel()
        except InvokekitError as exc:
            log.warning("could not cancel batch %s on %s: %s", chunk.batch_id, chunk.server.url, exc)


__all__ = ["SERVER_FAULTS", "Chunk", "cancel_chunk", "name_files", "server_fault"]
