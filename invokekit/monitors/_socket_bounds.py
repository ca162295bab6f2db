"""A socket.io client's time, bounded: connecting within a wait's deadline, closing in bounded
time whatever the server does, and no thread started per event.

A clean close needs the server's answer; a frozen or black-holed server never gives one, and
python-socketio would wait for the socket's read timeout (ping interval + ping timeout, ~45 s for
InvokeAI) while holding the thread that closes it.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

from invokekit.api._deadline import time_left

if TYPE_CHECKING:
    import socketio

log = logging.getLogger("invokekit.monitors")

#: how long closing the socket may take before it is torn down (seconds, twice at most)
SHUTDOWN_GRACE = 1.0


def inline_client(**options: Any) -> socketio.Client:
    """A ``socketio.Client`` that runs event handlers in its read thread, in the order they came.

    python-engineio starts a new thread for every message it receives (~50 per SDXL job: about
    half the client's CPU per job) and the threads may run out of order. The hub's handlers only
    record and notify (the subscription is an ``emit`` with a callback, never a blocking ``call``),
    so running them inline is both cheaper and ordered. A handler that blocks for long delays the
    answers to the server's pings, as it would any socket reader. websocket-client's UTF-8 check
    runs in pure Python over every byte (~1/3 of the read thread's CPU); it is skipped, since
    decoding each text frame checks it anyway.
    """
    import engineio
    import socketio

    global _INLINE
    if _INLINE is None:

        class InlineEngineIO(engineio.Client):  # type: ignore[misc]
            def _trigger_event(self, event: str, *args: Any, **kwargs: Any) -> Any:
                if event == "message":
                    kwargs["run_async"] = False
                return super()._trigger_event(event, *args, **kwargs)

        class InlineClient(socketio.Client):  # type: ignore[misc]
            def _engineio_client_class(self) -> type[engineio.Client]:
                return InlineEngineIO

        _INLINE = InlineClient
    extra = {"skip_utf8_validation": True, **options.pop("websocket_extra_options", {})}
    return _INLINE(websocket_extra_options=extra, **options)


_INLINE: Any = None


def connect_budget(connect_timeout: float) -> float:
    """How long connecting may take: ``connect_timeout``, or less when a deadline is nearer."""
    left = time_left()
    return connect_timeout if left is None else max(0.05, min(connect_timeout, left))


def shutdown(client: socketio.Client) -> None:
    """Disconnect and stop any reconnection attempt, so no socket thread is left behind.

    The close runs beside this thread for :data:`SHUTDOWN_GRACE` seconds; if it has not finished
    then, the socket is shut down under it, which wakes every thread blocked on it.
    """
    done = threading.Event()

    def close() -> None:
        try:
            client.shutdown()
            if client.connected:  # a reconnection that succeeded while shutting down
                client.disconnect()
        except Exception:  # pragma: no cover - best effort; never mask the caller's own outcome
            log.debug("socket.io shutdown failed", exc_info=True)
        finally:
            done.set()

    threading.Thread(target=close, name="invokekit-socketio-close", daemon=True).start()
    if done.wait(SHUTDOWN_GRACE):
        return
    _tear_down(client)
    if not done.wait(SHUTDOWN_GRACE):
        log.debug("socket.io close still running after the socket was shut down; leaving it to end on its own")


def _tear_down(client: socketio.Client) -> None:
    """Shut the websocket's TCP socket down at once (no close handshake) and stop reconnecting."""
    abort = getattr(client, "_reconnect_abort", None)
    if abort is not None:
        abort.set()
    ws = getattr(getattr(client, "eio", None), "ws", None)
    sock = getattr(ws, "sock", None)
    if isinstance(sock, socket.socket):
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


__all__ = ["SHUTDOWN_GRACE", "connect_budget", "inline_client", "shutdown"]
