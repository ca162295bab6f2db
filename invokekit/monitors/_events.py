"""Watching queue items through the server's socket.io events, with polling as a safety net.

Events arrive the moment the server changes an item, and they are the only source of progress
(percentage, message, preview image) while an item runs. But a push channel can lose messages: an
item may finish before the subscription is in place, the socket may drop and reconnect, an event
may simply be missed. So the monitor (1) reads every item through the API right after each
(re)subscription, (2) polls slowly (``safety_poll`` seconds) while the socket is healthy, and
(3) polls fast, like :class:`ApiMonitor`, whenever the socket is down, so no wait can hang on a
lost event and a completion is never missed.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from invokekit.api._items import IN_PROGRESS, RUNNING
from invokekit.errors import MonitorError
from invokekit.monitors._api import ApiMonitor
from invokekit.monitors._base import StatusUpdate
from invokekit.monitors._tracker import Backoff, Deadline, TrackedMonitor, Tracker

if TYPE_CHECKING:
    import socketio

    from invokekit.api._transport import Transport

log = logging.getLogger("invokekit.monitors")

SOCKETIO_PATH = "/ws/socket.io"


class _SocketState:
    """Flags the socket thread sets and the waiting thread acts on."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.subscribed = False
        self.need_subscribe = False
        self.poll_now = False
        self.connects = 0
        self.closing = False


class EventMonitor(TrackedMonitor):
    """Follow ``queue_item_status_changed`` and ``invocation_progress`` on ``/ws/socket.io``.

    ``url`` is the socket.io server (default: the transport's URL). ``checks`` counts the API
    requests of the safety net; ``events`` counts socket events about watched items, ``drops``
    the connections lost mid-wait and ``reconnects`` the reconnections. The socket is opened for
    each :meth:`watch` and closed when it returns, so a monitor never leaves threads behind.
    ``client`` is the live ``socketio.Client`` during a watch (None otherwise).
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
    ) -> None:
        super().__init__()
        self.transport = transport
        self.queue_id = queue_id
        self.url = (url or transport.base_url).rstrip("/")
        self.connect_timeout = connect_timeout
        self.safety_poll = safety_poll
        self.api = ApiMonitor(transport, queue_id=queue_id, fast=fast, slow=slow)
        self.events = 0
        self.reconnects = 0
        self.drops = 0
        self.client: socketio.Client | None = None

    # --- socket lifecycle -----------------------------------------------------------------------

    def run(self, tracker: Tracker, deadline: Deadline) -> None:
        import socketio  # imported here: ~0.1 s, paid only by those who use events
        import socketio.exceptions

        state = _SocketState()
        client = socketio.Client(
            reconnection=True,
            reconnection_attempts=0,
            reconnection_delay=0.25,
            reconnection_delay_max=2.0,
            randomization_factor=0.2,
            handle_sigint=False,
        )
        self._register(client, state, tracker)
        try:
            try:
                client.connect(
                    self.url,
                    socketio_path=SOCKETIO_PATH,
                    transports=["websocket"],
                    auth=self._auth,
                    wait_timeout=self.connect_timeout,
                )
            except (socketio.exceptions.ConnectionError, ValueError, OSError) as exc:
                raise MonitorError(
                    f"cannot connect to socket.io at {self.url}{SOCKETIO_PATH}: {exc}", backend=self.name
                ) from exc
            self.client = client
            self._loop(client, state, tracker, deadline)
        finally:
            self.client = None
            state.closing = True
            _shutdown(client)

    def _auth(self) -> dict[str, str] | None:
        """Called on every (re)connection, so a refreshed token is used."""
        token = self.transport.token
        return {"token": token} if token else None

    def _register(self, client: socketio.Client, state: _SocketState, tracker: Tracker) -> None:
        def on_connect() -> None:
            with state.lock:
                state.connects += 1
                if state.connects > 1:
                    self.reconnects += 1
                state.need_subscribe = True
                state.poll_now = True
            tracker.wake()

        def on_disconnect(*_reason: Any) -> None:
            with state.lock:
                state.subscribed = False
                state.poll_now = True
                if state.closing:
                    return
                self.drops += 1
            log.info("socket.io connection to %s lost; polling the API until it is back", self.url)
            tracker.wake()

        def on_status(data: dict[str, Any]) -> None:
            if data.get("queue_id", self.queue_id) != self.queue_id or "item_id" not in data:
                return
            self.events += 1
            tracker.observe(StatusUpdate.from_api(data, backend=self.name))

        def on_progress(data: dict[str, Any]) -> None:
            if data.get("queue_id", self.queue_id) != self.queue_id or "item_id" not in data:
                return
            self.events += 1
            tracker.observe(_progress_update(data, tracker.status(int(data["item_id"]))))

        client.on("connect", on_connect)
        client.on("disconnect", on_disconnect)
        client.on("queue_item_status_changed", on_status)
        client.on("invocation_progress", on_progress)

    def _subscribe(self, client: socketio.Client, state: _SocketState) -> None:
        """Join the queue's room and wait for the server's acknowledgement (so that a read made
        after this returns cannot miss an event)."""
        import socketio.exceptions

        with state.lock:
            state.need_subscribe = False
        try:
            client.call("subscribe_queue", {"queue_id": self.queue_id}, timeout=self.connect_timeout)
        except (socketio.exceptions.SocketIOError, OSError) as exc:
            # not retried until the next (re)connection: meanwhile the API is polled at full speed
            log.info("subscribe_queue on %s failed (%s); polling the API instead", self.url, exc)
            return
        with state.lock:
            state.subscribed = client.connected
            state.poll_now = True

    # --- the waiting thread -----------------------------------------------------------------------

    def _loop(self, client: socketio.Client, state: _SocketState, tracker: Tracker, deadline: Deadline) -> None:
        backoff = Backoff(self.api.fast, self.api.slow, self.api.factor)
        next_poll = 0.0
        while True:
            version = tracker.version
            if state.need_subscribe and client.connected:
                self._subscribe(client, state)
            with state.lock:
                if state.poll_now:
                    state.poll_now = False
                    next_poll = 0.0
                    backoff.interval = backoff.fast
                live = state.subscribed and client.connected
            if time.perf_counter() >= next_poll:
                changed = tracker.observe_all(self._poll(tracker.pending()))
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


def _shutdown(client: socketio.Client) -> None:
    """Disconnect and stop any reconnection attempt, so no socket thread outlives the watch."""
    try:
        client.shutdown()
        if client.connected:  # a reconnection that succeeded while shutting down
            client.disconnect()
    except Exception:  # pragma: no cover - best effort; never mask the watch's own outcome
        log.debug("socket.io shutdown failed", exc_info=True)
