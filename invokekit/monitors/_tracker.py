"""The state every backend shares while it watches: what was last seen of each item, and when to stop.

Backends only *observe*; the :class:`Tracker` decides what is news. That keeps the three backends'
updates identical in meaning (a status change, or new progress), lets several sources feed one
watch (events plus safety-net polls; a fallback chain), and makes a stale observation harmless:
a terminal status is final, and an older ``status_sequence`` or a lower stage never overwrites a
newer one.
"""

from __future__ import annotations

import logging
import threading
import time
from abc import abstractmethod
from collections.abc import Sequence

from invokekit.api._deadline import deadline as requests_end_by
from invokekit.api._items import status_stage
from invokekit.errors import JobTimeout, MonitorError, ServerUnavailable
from invokekit.monitors._base import Monitor, StatusUpdate, UpdateCallback

log = logging.getLogger("invokekit.monitors")


class Tracker:
    """The last update of each watched item; emits an update only when something changed.

    Thread-safe: event handlers (socket thread) and polls (waiting thread) may observe at once.
    ``on_update`` is called under the tracker's lock, so callbacks never interleave and arrive in
    the order the tracker accepted them. A callback that raises in a background thread is kept
    and re-raised in the waiting thread by :meth:`raise_callback_error`.
    """

    def __init__(
        self, item_ids: Sequence[int], on_update: UpdateCallback | None = None, *, batch_id: str | None = None
    ) -> None:
        self.item_ids: list[int] = list(dict.fromkeys(int(i) for i in item_ids))
        #: the batch the items belong to, when the caller knows (lets the events backend prove it heard everything)
        self.batch_id = batch_id
        self.latest: dict[int, StatusUpdate] = {}
        self.on_update = on_update
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._watched = frozenset(self.item_ids)
        self._callback_error: BaseException | None = None
        self._watcher = threading.get_ident()
        self._stopped = False
        #: bumped on every accepted observation and every :meth:`wake`; see :meth:`wait_for_change`
        self.version = 0

    def observe(self, update: StatusUpdate) -> bool:
        """Record ``update`` if it is news; return True when it was (and was emitted)."""
        if update.item_id not in self._watched:
            return False
        with self._lock:
            prev = self.latest.get(update.item_id)
            if prev is not None and not _is_news(prev, update):
                return False
            if prev is not None and update.status == prev.status and not _is_progress(update):
                return False
            self.latest[update.item_id] = update
            if prev is None or prev.status != update.status:  # progress alone: nothing for a waiting loop
                self.version += 1
                self._changed.notify_all()
            if self.on_update is not None:
                try:
                    self.on_update(update)
                except BaseException as exc:
                    if threading.get_ident() == self._watcher:
                        raise
                    self._callback_error = exc
                    log.exception("on_update callback failed for queue item %s", update.item_id)
            return True

    def observe_all(self, updates: Sequence[StatusUpdate]) -> bool:
        """Observe each update (all of them, no short-circuit); True when any was news."""
        return [self.observe(u) for u in updates].count(True) > 0

    def status(self, item_id: int) -> str | None:
        with self._lock:
            prev = self.latest.get(item_id)
            return prev.status if prev else None

    def pending(self) -> list[int]:
        """Watched items not yet seen terminal, in the order they were given."""
        with self._lock:
            return [i for i in self.item_ids if not (i in self.latest and self.latest[i].terminal)]

    def done(self) -> bool:
        """Every item is terminal, or :meth:`stop` was called."""
        return self._stopped or not self.pending()

    def stop(self) -> None:
        """End the watch early (its consumer went away): the backend returns at its next look."""
        self._stopped = True
        self.wake()

    def wait_for_change(self, timeout: float, since: int) -> None:
        """Sleep up to ``timeout`` seconds unless something changed after ``version`` was ``since``.

        Taking the version *before* looking at the state and passing it here closes the race in
        which an event lands between that look and this wait (it would otherwise sleep through it).
        """
        with self._changed:
            if timeout > 0 and self.version == since:
                self._changed.wait(timeout)

    def wake(self) -> None:
        """Wake :meth:`wait_for_change` without an update (e.g. the socket state changed)."""
        with self._changed:
            self.version += 1
            self._changed.notify_all()

    def raise_callback_error(self) -> None:
        if self._callback_error is not None:
            exc, self._callback_error = self._callback_error, None
            raise exc

    def result(self) -> dict[int, StatusUpdate]:
        with self._lock:
            return {i: self.latest[i] for i in self.item_ids if i in self.latest}


def _is_progress(update: StatusUpdate) -> bool:
    return update.progress is not None or update.message is not None or update.preview is not None


def _is_news(prev: StatusUpdate, new: StatusUpdate) -> bool:
    if prev.terminal:
        return False
    if prev.status_sequence is not None and new.status_sequence is not None:
        if new.status_sequence < prev.status_sequence:
            return False
        if new.status_sequence > prev.status_sequence:
            return True
    return status_stage(new.status) >= status_stage(prev.status)


class Deadline:
    """When a watch must give up (``None``: never)."""

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.at = None if timeout is None else time.perf_counter() + timeout

    def remaining(self, cap: float) -> float:
        """Seconds left, at most ``cap`` (``cap`` itself when there is no deadline)."""
        if self.at is None:
            return cap
        return max(0.0, min(cap, self.at - time.perf_counter()))

    def passed(self) -> bool:
        return self.at is not None and time.perf_counter() >= self.at

    def seconds_left(self) -> float | None:
        """Seconds until the deadline (0 once passed), None when there is none."""
        return None if self.at is None else max(0.0, self.at - time.perf_counter())

    def check(self, tracker: Tracker, cause: BaseException | None = None) -> None:
        """Raise :class:`JobTimeout` naming the unfinished items once the deadline has passed.

        ``cause`` is what stopped the watch at the deadline (a request cut short by it): the
        timeout is raised from it, and says so.
        """
        if not self.passed():
            return
        pending = tracker.pending()
        if not pending:
            return
        shown = ", ".join(f"{i} ({tracker.status(i) or 'not seen yet'})" for i in pending[:10])
        more = f" and {len(pending) - 10} more" if len(pending) > 10 else ""
        why = f"; the server did not answer in time: {cause}" if cause is not None else ""
        error = JobTimeout(
            f"{len(pending)} of {len(tracker.item_ids)} queue item(s) not finished after {self.timeout:g} s: "
            f"{shown}{more}{why}",
            item_id=pending[0],
        )
        if cause is None:
            raise error
        raise error from cause


class Backoff:
    """An adaptive poll interval: ``fast`` after a change, growing by ``factor`` up to ``slow``."""

    def __init__(self, fast: float, slow: float, factor: float = 1.5) -> None:
        self.fast, self.slow, self.factor = fast, slow, factor
        self.interval = fast

    def next(self, changed: bool) -> float:
        self.interval = self.fast if changed else min(self.slow, self.interval * self.factor)
        return self.interval


class TrackedMonitor(Monitor):
    """A monitor whose :meth:`watch` feeds a :class:`Tracker`; subclasses implement :meth:`run`.

    :meth:`run` is public to the package so that :class:`~invokekit.monitors.AutoMonitor` can hand
    the same tracker from one backend to the next and continue from what was already seen.
    """

    def watch(
        self,
        item_ids: Sequence[int],
        *,
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        batch_id: str | None = None,
    ) -> dict[int, StatusUpdate]:
        tracker = Tracker(item_ids, on_update, batch_id=batch_id)
        if tracker.item_ids:
            self.run_within(tracker, Deadline(timeout))
        return tracker.result()

    def run_within(self, tracker: Tracker, deadline: Deadline) -> None:
        """:meth:`run`, with every request it sends (in this thread) ending by ``deadline``; one
        cut short by it (a frozen or unreachable server) is the :class:`JobTimeout` it amounts to."""
        with requests_end_by(deadline.seconds_left()):
            try:
                self.run(tracker, deadline)
            except (ServerUnavailable, MonitorError) as exc:
                deadline.check(tracker, cause=exc)
                raise

    @abstractmethod
    def run(self, tracker: Tracker, deadline: Deadline) -> None:
        """Observe into ``tracker`` until it is done; raise JobTimeout/MonitorError as documented."""

    def _count(self, started: float) -> None:
        """Account for one check that began at ``started`` (``time.perf_counter()``)."""
        self.checks += 1
        self.check_seconds += time.perf_counter() - started


__all__ = ["Backoff", "Deadline", "TrackedMonitor", "Tracker"]
