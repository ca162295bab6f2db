"""How much work each server gets: a pulling policy over shallow queues.

A server pulls its next chunk when at most :data:`LOW_WATER` of its items are still unfinished,
so its queue never runs dry (the next chunk is already there while the last item runs) and
never holds much that another server could have run. A chunk is sized to last about
:data:`CHUNK_SECONDS` on that server (by its observed seconds per item: a fast server takes a
few items per request, a slow one one), never more than its share of what is left. At the end
a server holds back when the other servers would finish every remaining item before it could
finish one (earliest finish wins): the slow card does not take the last item and keep everyone
waiting. ``strategy="static"`` instead gives each server an equal part of the sweep up front
(the split the benchmark compares against).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from invokekit.client import Client
    from invokekit.workflow import Batch

#: a server pulls when at most this many of its items are unfinished
LOW_WATER = 1
#: a chunk should last about this long on its server
CHUNK_SECONDS = 2.0
#: the first chunk, before the server's speed is known; and the largest chunk
FIRST_CHUNK = 2
MAX_CHUNK = 4
#: weight of the newest observation in a server's seconds-per-item estimate
SMOOTHING = 0.5
#: a gap longer than this between two items is idle time, not part of an item's cost
MAX_GAP = 2.0


@dataclass
class ServerState:
    """What the dispatcher knows about one server of the pool."""

    client: Client
    batch: Batch
    rows: list[list[tuple[str, str, object]]]
    alive: bool = True
    error: BaseException | None = None
    #: items sent and not yet finished there
    outstanding: int = 0
    #: seconds per item (run plus the server's pause between items), once seen
    item_seconds: float | None = None
    delivered: int = 0
    #: the static split's part for this server, sent as one chunk
    assigned: list[int] = field(default_factory=list)
    _last_completed: float | None = None

    @property
    def url(self) -> str:
        return self.client.url

    def observe(self, started: float | None, completed: float | None) -> None:
        """Learn from one item's server timestamps (POSIX seconds)."""
        if started is None or completed is None or completed < started:
            return
        cost = completed - started
        if self._last_completed is not None and 0.0 <= started - self._last_completed <= MAX_GAP:
            cost += started - self._last_completed  # the pause between items belongs to the cost
        self._last_completed = completed
        est = self.item_seconds
        self.item_seconds = cost if est is None else (1 - SMOOTHING) * est + SMOOTHING * cost


def wants_more(me: ServerState, servers: Sequence[ServerState], pending: int) -> bool:
    """Should ``me`` pull a chunk now (``pending`` items wait in the pool)?"""
    if not me.alive or pending == 0 or me.outstanding > LOW_WATER:
        return False
    return not _others_finish_first(me, servers, pending)


def _others_finish_first(me: ServerState, servers: Sequence[ServerState], pending: int) -> bool:
    others = [s for s in servers if s is not me and s.alive]
    if me.item_seconds is None or not others or any(s.item_seconds is None for s in others):
        return False
    horizon = (me.outstanding + 1) * me.item_seconds  # when I could finish one more
    # how many each other server finishes strictly before that (on a tie I take it: no one waits)
    capacity = sum(max(0, math.ceil(horizon / float(s.item_seconds or 1.0)) - 1 - s.outstanding) for s in others)
    return capacity >= pending


def chunk_size(me: ServerState, servers: Sequence[ServerState], pending: int) -> int:
    """How many items ``me`` takes now."""
    if me.item_seconds is None:
        return max(1, min(FIRST_CHUNK, pending))
    size = min(MAX_CHUNK, max(1, round(CHUNK_SECONDS / max(me.item_seconds, 1e-3))))
    # a server not yet measured counts as fast as this one
    speeds = [1.0 / (s.item_seconds or me.item_seconds) for s in servers if s.alive]
    share = (1.0 / me.item_seconds) / sum(speeds) if speeds else 1.0
    return max(1, min(size, math.floor(pending * share / 2), pending))


def static_split(indices: Sequence[int], servers: Sequence[ServerState]) -> None:
    """Give each server an equal, contiguous part of ``indices`` (the first ones get one more)."""
    per, extra = divmod(len(indices), len(servers))
    start = 0
    for k, server in enumerate(servers):
        end = start + per + (1 if k < extra else 0)
        server.assigned = list(indices[start:end])
        start = end


def now() -> float:
    return time.time()


__all__ = ["CHUNK_SECONDS", "LOW_WATER", "MAX_CHUNK", "ServerState", "chunk_size", "static_split", "wants_more"]
