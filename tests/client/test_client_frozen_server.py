"""A frozen server (SIGSTOP) cannot stretch a wait past its timeout: ``job.wait(timeout=10)`` and
``invokekit run --timeout 10`` end after about 10 s with JobTimeout, whichever monitor watches
(today's requests would each hang 30 s, three times, and a socket.io connection the server stopped
answering took ~40 s more to close).

Runs on a sandbox of its own (never the shared one: freezing it would stall everybody's tests),
named after this session's sandbox, and stops it at the end.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from invokekit.client import Client
from invokekit.errors import JobTimeout
from invokekit.monitors import EventMonitor
from invokekit.sandbox import Sandbox

WAIT = 10.0  # the timeout every wait is given
SLACK = 6.0  # what a wait may take beyond it (closing a dead socket: 2 x 1 s; a loaded machine)
GRAPH = {"nodes": {"n": {"id": "n", "type": "integer", "value": 3, "use_cache": False}}, "edges": []}
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    name = f"frozen-{os.environ.get('INVOKEKIT_SANDBOX') or 'default'}"
    box = Sandbox(name=name, progress=None)
    box.up()
    try:
        yield box
    finally:
        box.down()


@contextmanager
def frozen(box: Sandbox) -> Iterator[None]:
    """The server's whole process group stopped (it accepts connections, it answers nothing)."""
    group = os.getpgid(box.pid)
    os.killpg(group, signal.SIGSTOP)
    try:
        yield
    finally:
        os.killpg(group, signal.SIGCONT)


@contextmanager
def paused(client: Client) -> Iterator[None]:
    """The queue's processor paused, so submitted items stay pending; the queue emptied after."""
    client.queue.pause()
    try:
        yield
    finally:
        client.queue.resume()
        client.queue.clear()


@pytest.mark.server
@pytest.mark.timeout(300)
def test_every_monitors_wait_ends_at_its_timeout_when_the_server_freezes(sandbox: Sandbox) -> None:
    with Client(sandbox.url, db_path=sandbox.db_path) as client, paused(client):
        job = client.submit(GRAPH)
        events = EventMonitor(client.transport)
        outcomes: dict[str, tuple[BaseException | None, float]] = {}

        def watch(name: str, monitor: object) -> None:
            began = time.monotonic()
            try:
                client.job(job.batch_id, item_ids=job.item_ids).wait(monitor=monitor, timeout=WAIT)  # type: ignore[arg-type]
                outcomes[name] = (None, time.monotonic() - began)
            except BaseException as exc:
                outcomes[name] = (exc, time.monotonic() - began)

        watchers = [
            threading.Thread(target=watch, args=(name, monitor), daemon=True)
            for name, monitor in (("api", "api"), ("db", "db"), ("events", events), ("client's events", "events"))
        ]
        for thread in watchers:
            thread.start()
        end = time.monotonic() + 5
        while not (events.client is not None and events.client.connected and client.events.connected):
            assert time.monotonic() < end, "an events monitor never connected"  # the sockets are up: freeze them
            time.sleep(0.05)
        time.sleep(0.5)
        with frozen(sandbox):
            for thread in watchers:
                thread.join(timeout=WAIT + 120)
            began = time.monotonic()
            client.events.close()  # the client's socket, to a server that answers nothing
            closing = time.monotonic() - began
    assert set(outcomes) == {"api", "db", "events", "client's events"}, f"a wait hung: only {sorted(outcomes)}"
    assert closing < 4, f"closing the socket of a frozen server took {closing:.1f} s"
    for name, (error, took) in outcomes.items():
        assert isinstance(error, JobTimeout), f"{name}: {error!r}"
        assert took < WAIT + SLACK, f"{name}: the wait took {took:.1f} s for a {WAIT:g} s timeout"
        assert f"not finished after {WAIT:g} s" in str(error)
    with Client(sandbox.url) as client:  # thawed, the server works as before
        assert client.queue.status()["queue"]["queue_id"] == "default"


@pytest.mark.server
@pytest.mark.timeout(300)
def test_run_with_timeout_ends_at_its_timeout_when_the_server_freezes(sandbox: Sandbox, tmp_path: Path) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(GRAPH))
    argv = [sys.executable, "-m", "invokekit", "run", str(graph), "--url", sandbox.url, "--out", str(tmp_path / "out")]
    argv += ["--timeout", f"{WAIT:g}"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with Client(sandbox.url) as client, paused(client):
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        try:
            assert proc.stdout is not None
            with selectors.DefaultSelector() as sel:
                sel.register(proc.stdout, selectors.EVENT_READ)
                line, end = "", time.monotonic() + 120
                while not line.startswith("submitted batch"):
                    assert time.monotonic() < end and sel.select(timeout=5), "the run never submitted"
                    line = proc.stdout.readline()
                    assert line, proc.stderr.read() if proc.stderr else "no output"
            began = time.monotonic()  # the wait starts now, on a live server...
            time.sleep(1.0)
            with frozen(sandbox):  # ...that freezes a moment later
                status = proc.wait(timeout=WAIT + 120)
                took = time.monotonic() - began
            stderr = proc.stderr.read() if proc.stderr else ""
        finally:
            if proc.poll() is None:
                proc.kill()
    assert status == 1, stderr
    assert took < WAIT + SLACK, f"`run --timeout {WAIT:g}` took {took:.1f} s"
    assert f"not finished after {WAIT:g} s" in stderr and "invokekit resume" in stderr + (proc.stdout.read() or "")


@pytest.mark.server
@pytest.mark.timeout(300)
def test_a_first_wait_that_must_find_the_database_ends_at_its_timeout_too(sandbox: Sandbox) -> None:
    with Client(sandbox.url) as client, paused(client):  # db_path="auto": found and proven on first use
        job = client.submit(GRAPH)
        began = time.monotonic()
        with frozen(sandbox), pytest.raises(JobTimeout, match=f"not finished after {WAIT:g} s"):
            job.wait(monitor="auto", timeout=WAIT)  # proving the database asks the frozen server
        took = time.monotonic() - began
    assert took < WAIT + SLACK, f"the wait took {took:.1f} s"
