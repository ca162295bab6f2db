"""Fixtures for the monitor tests: the real server, model-free jobs that complete, fail or are
canceled, a fault-injecting TCP proxy for socket drops, and a check that no thread is left behind."""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from invokekit.client import Transport

DEV_URL = "http://127.0.0.1:9190"
DEV_DB = Path("/tmp/ik-dev-root/databases/invokeai.db")


@dataclass(frozen=True)
class Server:
    url: str
    db_path: Path


@pytest.fixture(scope="session")
def ik_server(request: pytest.FixtureRequest) -> Server:
    """The project's sandbox server; the shared dev server only if the sandbox fixture is absent."""
    try:
        sandbox = request.getfixturevalue("invokeai_sandbox")
    except pytest.FixtureLookupError:
        return Server(DEV_URL, DEV_DB)
    return Server(sandbox.url, Path(sandbox.db_path))


@pytest.fixture
def transport(ik_server: Server) -> Iterator[Transport]:
    t = Transport(ik_server.url, timeout=10.0)
    yield t
    t.close()


def model_free_graph(*, fail: bool = False) -> dict[str, Any]:
    """integer -> div: runs in milliseconds without models; ``fail`` divides by zero at run time
    (the graph is valid, so the server accepts it and the item fails while running)."""
    return {
        "id": f"ik-monitor-{random.randrange(10**9)}",
        "nodes": {
            "a": {"id": "a", "type": "integer", "value": random.randrange(1, 10**6)},
            "d": {"id": "d", "type": "div", "a": 10, "b": 0 if fail else 2, "use_cache": False},
        },
        "edges": [{"source": {"node_id": "a", "field": "value"}, "destination": {"node_id": "d", "field": "a"}}],
    }


Enqueue = Callable[..., list[int]]


@pytest.fixture
def enqueue(transport: Transport) -> Enqueue:
    """``enqueue(fail=False, runs=1) -> item ids, oldest first`` (one POST).

    Prepended: these items take milliseconds, so they go ahead of other sessions' slow jobs on the
    shared sandbox instead of waiting behind them."""

    def _enqueue(*, fail: bool = False, runs: int = 1) -> list[int]:
        batch = {"graph": model_free_graph(fail=fail), "runs": runs, "origin": "ik-monitor-test", "destination": "ik"}
        body = transport.post_json("/api/v1/queue/default/enqueue_batch", {"batch": batch, "prepend": True})
        return sorted(body["item_ids"])

    return _enqueue


@dataclass(frozen=True)
class Jobs:
    """Items whose final statuses are known in advance."""

    completed: list[int]
    failed: list[int]
    canceled: list[int]

    @property
    def all(self) -> list[int]:
        return self.completed + self.failed + self.canceled

    def expected(self) -> dict[int, str]:
        return {
            **{i: "completed" for i in self.completed},
            **{i: "failed" for i in self.failed},
            **{i: "canceled" for i in self.canceled},
        }


@pytest.fixture
def jobs(enqueue: Enqueue, transport: Transport) -> Jobs:
    """Two items that complete, one that fails, and one canceled while still pending."""
    completed = enqueue(runs=2)
    failed = enqueue(fail=True)
    queued = enqueue(runs=3)
    last = queued[-1]  # behind everything else: still pending now
    transport.put_json(f"/api/v1/queue/default/i/{last}/cancel")
    return Jobs(completed=completed + queued[:-1], failed=failed, canceled=[last])


@pytest.fixture(autouse=True)
def no_threads_left() -> Iterator[None]:
    """Every monitor must stop its threads (socket reader, reconnection) before watch returns.

    tqdm's own shared ``tqdm_monitor`` thread (one per process, not ours) is allowed."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        extra = [t for t in threading.enumerate() if t not in before and t.is_alive() and t.name != "tqdm_monitor"]
        if not extra or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not extra, f"threads left behind: {[t.name for t in extra]}"


class TcpProxy:
    """A tiny TCP forwarder in front of the real server; :meth:`kill` drops every connection at once,
    as a network failure would (the server itself cannot produce that fault)."""

    def __init__(self, target_host: str, target_port: int, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", port))
        self._listener.settimeout(0.1)  # so the accept loop notices kill() promptly
        self.port = self._listener.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._alive = True
        self._start(self._accept_loop)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="ik-test-proxy")
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while self._alive:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._conns += [client, upstream]
            self._start(self._pipe, client, upstream)
            self._start(self._pipe, upstream, client)

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def drop_connections(self) -> None:
        """Cut every open connection, keep accepting new ones (a network blip)."""
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def kill(self) -> None:
        self._alive = False
        self._listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()
        for t in self._threads:
            t.join(timeout=5)


@pytest.fixture
def proxy(ik_server: Server) -> Iterator[TcpProxy]:
    host, port = ik_server.url.removeprefix("http://").rsplit(":", 1)
    p = TcpProxy(host, int(port))
    yield p
    p.kill()
