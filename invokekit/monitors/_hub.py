"""One socket.io connection to one server, kept open and shared by every wait of a client.

Opening a connection costs a websocket and a socket.io handshake and two threads, ~30 ms of CPU:
too much per job. An :class:`EventHub` opens it on first need, subscribes to the queues its waits
ask for (waiting for the acknowledgement), reconnects on loss and subscribes again, and lives
until :meth:`close` (``Client.close``).

It remembers what the events said about recent items, so nothing is read twice: each item's latest
status (with its timestamps and error fields) and its nodes' outputs (``invocation_complete``
carries each result: image name, width, height). Those are complete only if the subscription was
in place before the item could start and stayed up, which ``batch_enqueued`` tells: the server
sends it before any item of the batch runs. A batch announced on the connection that is still live
is *proven*: all its events are here, in order, so a completed item comes with its outputs and a
wait needs no initial read. Anything else (enqueued before the connection, a drop since) is read
through the API.

A wait's deadline bounds connecting and subscribing; a close is bounded whatever the server does
(:mod:`invokekit.monitors._socket_bounds`). The token goes in socket.io's auth data, which
python-engineio logs at INFO: its loggers get invokekit's redacting filter first.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from invokekit.api._items import TERMINAL, NodeOutput, has_images
from invokekit.api._secrets import guard_loggers, redact
from invokekit.errors import MonitorError
from invokekit.monitors._socket_bounds import connect_budget, inline_client, shutdown

if TYPE_CHECKING:
    import socketio

    from invokekit.api._transport import Transport

log = logging.getLogger("invokekit.monitors")
SOCKETIO_PATH = "/ws/socket.io"

#: what a listener is told: ``(kind, data)`` with kind "status", "progress", "batch", "output" (an
#: image-bearing node output: ``item_id``, ``output``), "connect", "disconnect" or "subscribed"
Listener = Callable[[str, dict[str, Any]], None]


@dataclass
class ItemRecord:
    """What the events said about one queue item (the latest status event; its nodes' outputs)."""

    status: dict[str, Any] | None = None
    outputs: list[NodeOutput] = field(default_factory=list)


class EventHub:
    """The socket.io connection of one client (``url``: default the transport's), with memory.

    ``connections`` counts successful connections (the first and each reconnection), ``opened``
    the socket.io clients created (one per hub until :meth:`close`), ``drops`` the connections
    lost. ``keep`` bounds how many items and batches are remembered.
    """

    def __init__(
        self, transport: Transport, *, url: str | None = None, connect_timeout: float = 5.0, keep: int = 4096
    ) -> None:
        self.transport = transport
        self.url = (url or transport.base_url).rstrip("/")
        self.connect_timeout = connect_timeout
        self.keep = keep
        self.connections = 0
        self.opened = 0
        self.drops = 0
        self.events = 0
        self.generation = 0  # bumped on every connection; subscriptions and batches belong to one
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._sio: socketio.Client | None = None
        self._queues: set[str] = set()
        self._live: dict[str, int] = {}  # queue id -> generation of its acknowledged subscription
        self._batches: OrderedDict[str, int] = OrderedDict()  # batch id -> generation it was announced in
        self._records: OrderedDict[int, ItemRecord] = OrderedDict()
        self._listeners: list[Listener] = []
        self._closing = False

    # --- connection ---------------------------------------------------------------------------

    @property
    def client(self) -> socketio.Client | None:
        """The live ``socketio.Client`` (None before the first connection and after close)."""
        return self._sio

    @property
    def connected(self) -> bool:
        return self._sio is not None and self._sio.connected

    def subscribed(self, queue_id: str) -> bool:
        """The connection is up and the server acknowledged the subscription to ``queue_id``."""
        with self._lock:
            return self.connected and self._live.get(queue_id) == self.generation

    def ensure(self, queue_id: str) -> None:
        """Connect (once) and subscribe to ``queue_id``; wait for the acknowledgement.

        Raises :class:`MonitorError` when the server cannot be reached over socket.io. A
        subscription that is not acknowledged in time is not an error: the waits poll meanwhile.
        """
        with self._lock:
            if self._closing:
                raise MonitorError("the event connection is closed", backend="events")
            self._queues.add(queue_id)
            sio = self._sio
        if sio is None:
            self._open()
        elif sio.connected and queue_id not in self._live:
            self._subscribe(sio, queue_id)
        with self._changed:
            end = time.perf_counter() + connect_budget(self.connect_timeout)
            while self.connected and self._live.get(queue_id) != self.generation:
                left = end - time.perf_counter()
                if left <= 0:
                    break
                self._changed.wait(left)

    def _open(self) -> None:
        import socketio  # imported here: ~0.1 s, paid only by those who use events
        import socketio.exceptions

        guard_loggers()  # before the client exists: its first log lines may carry the token
        with self._lock:
            if self._sio is not None:
                return
            sio = inline_client(reconnection=True, reconnection_attempts=0, reconnection_delay=0.25,
                                reconnection_delay_max=2.0, randomization_factor=0.2, handle_sigint=False)
            self._register(sio)
            self._sio = sio
            self.opened += 1
        budget = connect_budget(self.connect_timeout)
        sio.eio.request_timeout = budget  # this handshake ends by the deadline; reconnections get the usual
        try:
            sio.connect(self.url, headers=self.transport.connection_headers(), socketio_path=SOCKETIO_PATH,
                        transports=["websocket"], auth=self._auth, wait_timeout=budget)
        except (socketio.exceptions.ConnectionError, ValueError, OSError) as exc:
            with self._lock:
                self._sio = None
            shutdown(sio)
            where = f"{self.url}{SOCKETIO_PATH}"
            raise MonitorError(f"cannot connect to socket.io at {where}: {redact(str(exc))}", backend="events") from exc
        finally:
            sio.eio.request_timeout = self.connect_timeout

    def _auth(self) -> dict[str, str] | None:
        """Called on every (re)connection, so a refreshed token is used."""
        return {"token": self.transport.token} if self.transport.token else None

    def _subscribe(self, sio: socketio.Client, queue_id: str) -> None:
        """Ask to join the queue's room; the acknowledgement marks it live for this connection.

        ``emit`` with a callback, not ``call``: this runs in the socket's own thread on reconnect,
        which must stay free to receive the acknowledgement."""
        generation = self.generation

        def acknowledged(*_answer: Any) -> None:
            with self._changed:
                if generation == self.generation:
                    self._live[queue_id] = generation
                self._changed.notify_all()
            self._tell("subscribed", {"queue_id": queue_id})

        try:
            sio.emit("subscribe_queue", {"queue_id": queue_id}, callback=acknowledged)
        except Exception as exc:  # shows as a missing subscription: the waits poll meanwhile
            log.info("subscribe_queue on %s failed (%s); polling the API instead", self.url, exc)

    def _register(self, sio: socketio.Client) -> None:
        def on_connect() -> None:
            with self._changed:
                self.generation += 1
                self.connections += 1
                self._live.clear()
                queues = sorted(self._queues)
                self._changed.notify_all()
            for queue_id in queues:
                self._subscribe(sio, queue_id)
            self._tell("connect", {})

        def on_disconnect(*_reason: Any) -> None:
            with self._changed:
                self._live.clear()
                closing = self._closing
                if not closing:
                    self.drops += 1
                self._changed.notify_all()
            if not closing:
                log.info("socket.io connection to %s lost; polling the API until it is back", self.url)
            self._tell("disconnect", {})

        sio.on("connect", on_connect)
        sio.on("disconnect", on_disconnect)
        sio.on("queue_item_status_changed", self._on_status)
        sio.on("invocation_complete", self._on_complete)
        sio.on("invocation_progress", lambda data: self._on_item_event("progress", data))
        sio.on("batch_enqueued", self._on_batch)

    # --- events -------------------------------------------------------------------------------

    def _record(self, item_id: int) -> ItemRecord:
        record = self._records.get(item_id)
        if record is None:
            record = self._records[item_id] = ItemRecord()
            while len(self._records) > self.keep:
                self._records.popitem(last=False)
        return record

    def _on_batch(self, data: dict[str, Any]) -> None:
        with self._lock:
            self._batches[str(data.get("batch_id"))] = self.generation
            while len(self._batches) > self.keep:
                self._batches.popitem(last=False)
        self._tell("batch", data)

    def _on_status(self, data: dict[str, Any]) -> None:
        if "item_id" in data:
            with self._lock:
                self._record(int(data["item_id"])).status = data
            self._on_item_event("status", data)

    def _on_complete(self, data: dict[str, Any]) -> None:
        result = data.get("result")
        if "item_id" not in data or not has_images(result):
            return
        invocation = data.get("invocation") or {}
        output = NodeOutput(
            node_id=str(data.get("invocation_source_id") or invocation.get("id")),
            result=result,
            intermediate=bool(invocation.get("is_intermediate", False)),
        )
        with self._lock:
            self._record(int(data["item_id"])).outputs.append(output)
        self._tell("output", {"item_id": int(data["item_id"]), "output": output})

    def _on_item_event(self, kind: str, data: dict[str, Any]) -> None:
        self.events += 1
        self._tell(kind, data)

    def _tell(self, kind: str, data: dict[str, Any]) -> None:
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(kind, data)
            except Exception:  # a listener's failure is its own wait's business (the tracker keeps it)
                log.exception("event listener failed")

    # --- what waits ask -------------------------------------------------------------------------

    def listen(self, listener: Listener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def unlisten(self, listener: Listener) -> None:
        with self._lock, contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def proven(self, batch_id: str | None, queue_id: str) -> bool:
        """Every event of ``batch_id``'s items is here: its ``batch_enqueued`` came on the
        connection that is still live and subscribed to ``queue_id``."""
        with self._lock:
            return batch_id is not None and self.subscribed(queue_id) and self._batches.get(batch_id) == self.generation

    def replay(self, item_id: int) -> dict[str, Any] | None:
        """The latest status event of ``item_id`` (None when none came)."""
        with self._lock:
            record = self._records.get(item_id)
            return dict(record.status) if record is not None and record.status is not None else None

    def terminal_outputs(
        self, data: dict[str, Any], batch_id: str | None, queue_id: str
    ) -> tuple[NodeOutput, ...] | None:
        """The outputs to attach to a terminal status event ``data``: known when proven, else None."""
        with self._lock:
            if data.get("status") not in TERMINAL or not self.proven(batch_id, queue_id):
                return None
            record = self._records.get(int(data["item_id"]))
            return tuple(record.outputs) if record is not None else ()

    def close(self) -> None:
        """Disconnect and stop reconnecting; no socket thread outlives the hub. Safe to call twice."""
        with self._lock:
            self._closing = True
            sio, self._sio = self._sio, None
            self._live.clear()
        if sio is not None:
            shutdown(sio)


__all__ = ["SOCKETIO_PATH", "EventHub", "ItemRecord", "Listener"]
