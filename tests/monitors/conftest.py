"""Fixtures for the monitor tests: the real server, model-free jobs that complete, fail or are
canceled, a TCP proxy (``_proxies.TcpProxy``) for socket drops, and a check that no thread is left behind."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from _graphs import integer_div
from _proxies import TcpProxy

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


Enqueue = Callable[..., list[int]]


@pytest.fixture
def enqueue(transport: Transport) -> Enqueue:
    """``enqueue(fail=False, runs=1) -> item ids, oldest first`` (one POST).

    Prepended: these items take milliseconds, so they go ahead of other sessions' slow jobs on the
    shared sandbox instead of waiting behind them."""

    def _enqueue(*, fail: bool = False, runs: int = 1) -> list[int]:
        batch = {"graph": integer_div(fail=fail), "runs": runs, "origin": "ik-monitor-test", "destination": "ik"}
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


@pytest.fixture
def proxy(ik_server: Server) -> Iterator[TcpProxy]:
    p = TcpProxy.to(ik_server.url)
    yield p
    p.kill()
