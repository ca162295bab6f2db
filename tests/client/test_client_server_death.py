"""Killing the server mid-job ends the wait with an error (never a hang), on a private sandbox.

Uses a sandbox of its own, named after this run's (``$INVOKEKIT_SANDBOX``, else "default") plus "-kill",
so parallel runs never share it, and stops it at the end.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from _graphs import slow_graph

from invokekit.client import Client
from invokekit.errors import JobTimeout, MonitorError, ServerError
from invokekit.sandbox import Sandbox


@pytest.fixture(scope="module")
def kill_sandbox() -> Iterator[Sandbox]:
    base = os.environ.get("INVOKEKIT_SANDBOX") or "default"
    sandbox = Sandbox(name=f"{base}-kill")
    try:
        yield sandbox
    finally:
        sandbox.down()


MONITORS = ("api", "db", "events", "auto")


@pytest.mark.server
@pytest.mark.timeout(300)
def test_killing_the_server_mid_job_ends_every_monitors_wait_with_an_error(kill_sandbox: Sandbox) -> None:
    kill_sandbox.up()
    errors: dict[str, BaseException | None] = {}
    with Client(kill_sandbox.url, db_path=kill_sandbox.db_path, timeout=5) as client:
        job = client.submit(slow_graph(blurs=3))
        end = time.monotonic() + 60
        while client.queue.item(job.item_ids[0])["status"] == "pending":
            assert time.monotonic() < end
            time.sleep(0.05)

        def watch(monitor: str) -> None:  # one handle per monitor, all watching the same item
            try:
                client.job(job.batch_id, item_ids=job.item_ids).wait(monitor=monitor, timeout=240)
                errors[monitor] = None
            except BaseException as exc:
                errors[monitor] = exc

        watchers = [threading.Thread(target=watch, args=(m,), daemon=True) for m in MONITORS]
        for thread in watchers:
            thread.start()
        time.sleep(1.0)  # let every monitor get going, then pull the plug
        os.kill(kill_sandbox.pid, signal.SIGKILL)
        for thread in watchers:
            thread.join(timeout=250)
    assert set(errors) == set(MONITORS), f"a wait hung: only {sorted(errors)} returned"
    for monitor, error in errors.items():
        assert isinstance(error, ServerError | MonitorError), f"{monitor}: {error!r}"
        assert not isinstance(error, JobTimeout)  # it noticed the death, it did not just time out
