"""Watching queue items through the server's socket.io events, with polling as a safety net.

Events arrive the moment the server changes an item, and they are the only source of progress
(percentage, message, preview image) while an item runs. The connection is an
:class:`~invokekit.monitors.EventHub`: the client's own, kept open across waits (one connection
per client, not one per wait), or, for a monitor built on its own, one opened for the watch and
closed when it returns.

But a push channel can lose messages: an item may finish before the subscription is in place, the
socket may drop and reconnect, an event may simply be missed. So the monitor (1) reads every item
through the API right after each (re)subscription, unless the hub proves it has every event of the
batch (it saw the batch announced on the live connection), (2) polls slowly (``safety_poll``
seconds) while the socket is healthy, and (3) polls fast, like :class:`ApiMonitor`, whenever the
socket is down, so no wait can hang on a lost event and a completion is never missed. While events
about the watched items keep coming, the slow poll waits for ``safety_poll`` seconds of silence:
a lost event is still found that long after the last one, without a request every
``safety_poll`` seconds of a long item. A completed
item of a proven batch comes with its outputs from the events, so nothing is read again.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from invokekit.api._items import IN_PROGRESS, RUNNING
from invokekit.monitors._api import ApiMonitor
from invokekit.monitors._base import StatusUpdate
from invokekit.monitors._hub import SOCKETIO_PATH, EventHub
from invokekit.monitors._tracker import Backoff, Deadline, TrackedMonitor, Tracker

if TYPE_CHECKING:
    import socketio

    from invokekit.api._transport import Transport

log = logging.getLogger("invokekit.monitors")


class EventMonitor(TrackedMonitor):
    """Follow ``queue_item_status_changed`` and ``invocation_progress`` on ``/ws/socket.io``.

    ``hub`` is the connection to share (a client's); without it the monitor opens its own for each
    :meth:`watch` and closes it when it returns, so it never leaves threads behind. ``url`` is the
    socket.io server of an own connection (default: the transport's URL). ``checks`` counts the
    API requests of the safety net; ``events`` counts socket events about watched items, ``drops``
    the connections lost mid-wait and ``reconnects`` the reconnections. ``grace`` is how long a
    watch of a batch waits for the batch's announcement before reading the items instead.
    """

    name = "events"

    def __init__(
        self,
        transport: Transport,
        *,
        queue_id: str = "default",
        url: str | None = None,
        connect_timeout: float = 5.0,
        safety_poll: float = 1.5,
        fast: float = 0.01,
        slow: float = 1.0,
        hub: EventHub | None = None,
        grace: float = 0.05,
    ) -> None:
        super().__init__()
        self.transport = transport
        self.queue_id = queue_id
        self.url = (url or (hub.url if hub is not None else transport.base_url)).rstrip("/")
        self.connect_timeout = connect_timeout
        self.safety_poll = safety_poll
        self.grace = grace
        self.hub = hub
        self.api = ApiMonitor(transport, queue_id=queue_id, fast=fast, slow=slow)
        self.events = 0
        self.reconnects = 0
        self.drops = 0
        self._watching: EventHub | None = None

    @property
    def client(self) -> socketio.Client | None:
        """The live ``socketio.Client`` during a watch (None otherwise)."""
        hub = self._watching
        return hub.client if hub is not None else None

    # --- one watch ------------------------------------------------------------------------------

    def run(self, tracker: Tracker, deadline: Deadline) -> None:
        own = self.hub is None
        hub = self.hub or EventHub(self.transport, url=self.url, connect_timeout=self.connect_timeout)
        state = _WatchState()
        listener = self._listener(hub, tracker, state)
        drops, before = hub.drops, hub.connections
        hub.listen(listener)  # before connecting or replaying: nothing falls between the two
        self._watching = hub
        try:
            hub.ensure(self.queue_id)
            after = hub.connections
            try:
                self._loop(hub, tracker, deadline, state, fresh=after != before)
            finally:
                self.reconnects += hub.connections - after
        finally:
            hub.unlisten(listener)
            self._watching = None
            self.drops += hub.drops - drops
            if own:
                hub.close()

    def _listener(self, hub: EventHub, tracker: Tracker, state: _WatchState) -> Any:
        watched = set(tracker.item_ids)

        def on_event(kind: str, data: dict[str, Any]) -> None:
            if kind == "output":  # a node's image: the stream's to fetch ahead, nothing for the watch
                return
            if kind in ("status", "progress"):
                if data.get("queue_id", self.queue_id) != self.queue_id or "item_id" not in data:
                    return
                item_id = int(data["item_id"])
                if item_id not in watched:
                    return
                self.events += 1
                state.heard = time.perf_counter()  # the stream is flowing for these items
                if kind == "status":
                    tracker.observe(self._update(hub, tracker, data))
                else:
                    tracker.observe(_progress_update(data, tracker.status(item_id)))
                return
            if kind == "batch" and data.get("batch_id") != tracker.batch_id:
                return
            if kind in ("disconnect", "subscribed"):
                with state.lock:
                    state.poll_now = True  # lost, or back: events may have been missed meanwhile
            tracker.wake()

        return on_event

    def _update(self, hub: EventHub, tracker: Tracker, data: dict[str, Any]) -> StatusUpdate:
        outputs = hub.terminal_outputs(data, tracker.batch_id, self.queue_id)
        return StatusUpdate.from_api(data, backend=self.name, outputs=outputs)

    def _replay(self, hub: EventHub, tracker: Tracker) -> None:
        """What the hub already heard about the watched items (events before this watch began)."""
        for item_id in tracker.pending():
            data = hub.replay(item_id)
            if data is not None:
                tracker.observe(self._update(hub, tracker, data))

    # --- the waiting thread -----------------------------------------------------------------------

    def _loop(self, hub: EventHub, tracker: Tracker, deadline: Deadline, state: _WatchState, *, fresh: bool) -> None:
        """``fresh``: the connection was opened by this watch (so it cannot have heard the batch)."""
        backoff = Backoff(self.api.fast, self.api.slow, self.api.factor)
        proven = hub.proven(tracker.batch_id, self.queue_id)
        if proven:  # every event of the batch is in the hub: no initial read
            self._replay(hub, tracker)
            next_poll = time.perf_counter() + self.safety_poll
        else:  # an open connection may still get the announcement (it races the enqueue answer)
            wait = self.grace if tracker.batch_id and not fresh and hub.subscribed(self.queue_id) else 0.0
            next_poll = time.perf_counter() + wait
        with state.lock:
            state.poll_now = False
        polled = False
        while True:
            version = tracker.version
            if not proven and hub.proven(tracker.batch_id, self.queue_id):
                proven = True
                self._replay(hub, tracker)
                next_poll = max(next_poll, time.perf_counter() + self.safety_poll)
            with state.lock:
                if state.poll_now:
                    state.poll_now = False
                    next_poll = 0.0
                    backoff.interval = backoff.fast
            live = hub.subscribed(self.queue_id)
            proven = proven and hub.proven(tracker.batch_id, self.queue_id)
            now = time.perf_counter()
            if now >= next_poll and live and (proven or polled) and now - state.heard < self.safety_poll:
                next_poll = state.heard + self.safety_poll  # events came meanwhile: the net polls after a silence
            elif now >= next_poll:
                changed = tracker.observe_all(self._poll(tracker.pending()))
                polled = True
                next_poll = time.perf_counter() + (self.safety_poll if live else backoff.next(changed))
            tracker.raise_callback_error()
            if tracker.done():
                return
            deadline.check(tracker)
            tracker.wait_for_change(deadline.remaining(max(0.0, next_poll - time.perf_counter())), since=version)
            deadline.check(tracker)

    def _poll(self, item_ids: list[int]) -> list[StatusUpdate]:
        try:
            # a look costs one small request when nothing moved, whatever the number of items
            return self.api.look(item_ids) or []
        finally:
            self.checks, self.check_seconds = self.api.checks, self.api.check_seconds


class _WatchState:
    """What the socket thread notes and the waiting thread acts on."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.poll_now = False
        self.heard = float("-inf")  # perf_counter() of the last event about a watched item


def _progress_update(data: dict[str, Any], current: str | None) -> StatusUpdate:
    """An ``invocation_progress`` event as an update: same status, with percentage/message/preview."""
    image = data.get("image") or {}
    percentage = data.get("percentage")
    return StatusUpdate(
        item_id=int(data["item_id"]),
        status=current if current in RUNNING else IN_PROGRESS,
        backend=EventMonitor.name,
        batch_id=data.get("batch_id"),
        session_id=data.get("session_id"),
        progress=float(percentage) if percentage is not None else None,
        message=data.get("message"),
        preview=image.get("dataURL") if isinstance(image, dict) else None,
    )


__all__ = ["SOCKETIO_PATH", "EventMonitor"]
