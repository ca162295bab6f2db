"""What every monitor backend shares: the status update it emits and the interface it offers.

A monitor watches a set of queue items until each reaches a terminal status. Three backends
(API polling, read-only SQLite, socket.io events) implement :class:`Monitor`; they must emit the
same :class:`StatusUpdate` values and agree on the final status of the same jobs. The status names
live with the queue-item model, in :mod:`invokekit.api._items`.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from invokekit.api._items import QueueItem


@dataclass(frozen=True, kw_only=True)
class StatusUpdate(QueueItem):
    """One observation of one queue item, as a monitor saw it: the item (decoded by
    :meth:`QueueItem.from_api`, like every queue item) and how and when it was seen.

    ``seen_at`` is the client's wall clock (``time.time()``) when the observation arrived, and
    ``seen_monotonic`` the same moment on ``time.perf_counter()``. ``progress`` is 0..1 when the
    server reported progress (events backend), and ``preview`` is the preview image of an
    ``invocation_progress`` event as a data URL, when there is one. A terminal update carries the
    item's ``outputs`` when its source told them (see :class:`QueueItem`), so the results need no
    second read.
    """

    backend: str
    seen_at: float = field(default_factory=time.time)
    seen_monotonic: float = field(default_factory=time.perf_counter)
    progress: float | None = None
    message: str | None = None
    preview: str | None = None


UpdateCallback = Callable[[StatusUpdate], None]


class Monitor(ABC):
    """Watches queue items until they are terminal.

    Implementations count their own cost in ``checks`` (status reads: HTTP requests or SQL
    queries; for events, safety-net polls) so benchmarks can compare backends, and the time those
    reads took in ``check_seconds`` (total, seconds).
    """

    name: ClassVar[str]

    def __init__(self) -> None:
        self.checks = 0
        self.check_seconds = 0.0

    @abstractmethod
    def watch(
        self,
        item_ids: Sequence[int],
        *,
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        batch_id: str | None = None,
    ) -> dict[int, StatusUpdate]:
        """Block until every item in ``item_ids`` is terminal; return the last update of each.

        ``batch_id`` names the batch of all of them when known (a job's): a backend may use it to
        spare reads. ``on_update`` is called for every change seen (status, progress), from the calling thread
        or the backend's thread. Raises ``JobTimeout`` after ``timeout`` seconds, and
        ``MonitorError`` when the backend itself stops working (callers may fall back).
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and threads. Safe to call twice."""

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
