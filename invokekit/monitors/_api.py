"""Watching queue items by polling the server's HTTP API.

The portable backend: it needs nothing but the URL. One request per cycle covers every watched
item (``item_summaries_by_ids``, a read-only POST; a plain GET when only one item is left), and
the poll interval adapts: fast right after a change (a short job is seen finishing within
milliseconds), backing off towards ``slow`` while nothing happens (a long job costs ~1 request/s).
Summaries carry no error fields and no session id, so an item seen terminal is read once in full.

Reading every watched item each cycle costs more the more items are watched (1000 summaries take
~25 ms to serve and parse), so when the items left belong to one batch (a job, a sweep) a cycle
first asks for that batch's status: a constant-size GET (~2.4 ms, cheaper than one full item)
whose counts (pending, in_progress, ..., completed) change whenever one of its items changes
status. The items are read only when those counts changed, and at least every ``reread`` seconds
as a safety net (two changes could cancel out in the counts). Items spread over several batches
are read every cycle, as one request. (The queue-wide status would cover any batches, but costs
~10 ms a request on the server.)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from invokekit.errors import JobError, ServerError
from invokekit.monitors._base import StatusUpdate
from invokekit.monitors._tracker import Backoff, Deadline, TrackedMonitor, Tracker

if TYPE_CHECKING:
    from collections.abc import Callable

    from invokekit.api import Queue
    from invokekit.api._transport import Transport

#: the server refuses more ids than this in one ``*_by_ids`` request
MAX_IDS_PER_REQUEST = 1000


class ApiMonitor(TrackedMonitor):
    """Poll the server's queue ``queue_id`` for the watched items.

    ``fast``/``slow``/``factor`` shape the adaptive interval (seconds); ``reread`` is the longest
    time the items go unread while the queue's status stays the same. ``checks`` counts HTTP
    requests sent by this monitor (queue-status looks and item reads).
    """

    name = "api"

    def __init__(
        self,
        transport: Transport,
        *,
        queue_id: str = "default",
        fast: float = 0.01,
        slow: float = 1.0,
        factor: float = 1.5,
        reread: float = 2.0,
    ) -> None:
        super().__init__()
        self.transport = transport
        self.queue_id = queue_id
        self.fast, self.slow, self.factor = fast, slow, factor
        self.reread = reread
        self._batch_of: dict[int, str] = {}  # item id -> batch id, from the reads
        self._seen: tuple[str, Any] | None = None  # (batch id, its status) taken before the last item read

    def run(self, tracker: Tracker, deadline: Deadline) -> None:
        backoff = Backoff(self.fast, self.slow, self.factor)
        next_read = 0.0  # the first cycle always reads the items
        while True:
            now = time.perf_counter()
            updates = self.look(tracker.pending(), force=now >= next_read)
            if updates is not None:
                next_read = now + self.reread
            changed = tracker.observe_all(updates or [])
            tracker.raise_callback_error()
            if tracker.done():
                return
            deadline.check(tracker)
            time.sleep(deadline.remaining(backoff.next(changed)))
            deadline.check(tracker)

    # --- one cycle: a look at the batch, a read of the items when it changed ----------------------

    def look(self, item_ids: Sequence[int], *, force: bool = False) -> list[StatusUpdate] | None:
        """One cycle. Items of one batch already read once: one ``GET .../b/{batch_id}/status``,
        and ``None`` when it equals the status taken before the previous item read (nothing moved),
        else (or when ``force``) :meth:`read`. Items of several or unknown batches: :meth:`read`.

        The status is taken *before* the read, so a change during the read shows at the next look.
        """
        batches = {self._batch_of.get(int(i)) for i in item_ids}
        if len(batches) != 1 or None in batches:
            self._seen = None
            return self.read(item_ids)
        [batch_id] = batches
        started = time.perf_counter()
        try:
            status = self._queue().batch_status(str(batch_id))
        finally:
            self._count(started)
        seen = (str(batch_id), status)
        if not force and seen == self._seen:
            return None
        self._seen = seen
        return self.read(item_ids)

    # --- one read of many items -------------------------------------------------------------

    def read(self, item_ids: Sequence[int]) -> list[StatusUpdate]:
        """Read the current status of ``item_ids`` (one request, plus one for newly terminal items).

        Raises :class:`JobError` for an item the server does not know (deleted, or another server's
        id), and the transport's typed errors (e.g. ``ServerUnavailable``) when the server is gone.
        """
        updates = self._read(item_ids, self.name)
        self._batch_of.update((u.item_id, u.batch_id) for u in updates if u.batch_id)
        return updates

    def _read(self, item_ids: Sequence[int], backend: str) -> list[StatusUpdate]:
        ids = list(item_ids)
        if not ids:
            return []
        if len(ids) == 1:
            return [StatusUpdate.from_api(self._get_item(ids[0]), backend=backend)]
        updates: list[StatusUpdate] = []
        for start in range(0, len(ids), MAX_IDS_PER_REQUEST):
            chunk = ids[start : start + MAX_IDS_PER_REQUEST]
            summaries = self._post(self._queue().summaries, chunk)
            seen = {"backend": backend, "seen_at": time.time(), "seen_monotonic": time.perf_counter()}
            by_id = {u.item_id: u for u in (StatusUpdate.from_api(s, **seen) for s in summaries)}
            _raise_missing(chunk, by_id, self.queue_id)
            full = self._full_items([i for i in chunk if by_id[i].terminal])
            updates += [StatusUpdate.from_api(full[i], **seen) if i in full else by_id[i] for i in chunk]
        return updates

    def _full_items(self, item_ids: list[int]) -> dict[int, dict[str, Any]]:
        """Whole queue items (error fields, session id) for items that just finished."""
        if not item_ids:
            return {}
        if len(item_ids) == 1:
            return {item_ids[0]: self._get_item(item_ids[0])}
        items = self._post(self._queue().items, item_ids)
        return {int(it["item_id"]): it for it in items}

    def _get_item(self, item_id: int) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            return self._queue().item(item_id)
        except ServerError as exc:
            if exc.status == 404:
                raise _not_found([item_id], self.queue_id) from exc
            raise
        finally:
            self._count(started)

    def _post(self, read: Callable[[list[int]], list[dict[str, Any]]], item_ids: list[int]) -> list[dict[str, Any]]:
        """A read-only POST (the server takes id lists in a body): retried like a GET."""
        started = time.perf_counter()
        try:
            return read(item_ids)
        finally:
            self._count(started)

    def _queue(self) -> Queue:
        return queue_of(self.transport, self.queue_id)


def queue_of(transport: Transport, queue_id: str) -> Queue:
    """The queue namespace over ``transport`` (imported lazily: importing the monitors stays cheap)."""
    from invokekit.api import Queue

    return Queue(transport, queue_id)


def _raise_missing(ids: Sequence[int], found: dict[int, Any], queue_id: str) -> None:
    missing = [i for i in ids if i not in found]
    if missing:
        raise _not_found(missing, queue_id)


def _not_found(missing: Sequence[int], queue_id: str) -> JobError:
    shown = ", ".join(str(i) for i in missing[:10]) + (" ..." if len(missing) > 10 else "")
    return JobError(
        f"queue item(s) {shown} not found in queue {queue_id!r} on the server "
        "(deleted, pruned, or submitted to a different server)",
        item_id=missing[0],
    )
