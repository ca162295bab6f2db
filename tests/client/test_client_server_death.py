"""Killing the server mid-job ends the wait with an error (never a hang), on a private sandbox.

Uses its own sandbox named "kill-test" (never the shared default one) and stops it at the end.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest

from invokekit.client import Client
from invokekit.errors import JobTimeout, MonitorError, ServerError
from invokekit.sandbox import Sandbox


def slow_graph() -> dict:
    blur = {"type": "img_blur", "radius": 60, "blur_type": "gaussian", "is_intermediate": True, "use_cache": False}

    def edge(src: str, dst: str) -> dict:
        return {"source": {"node_id": src, "field": "image"}, "destination": {"node_id": dst, "field": "image"}}

    return {
        "nodes": {
            "blank": {"id": "blank", "type": "blank_image", "width": 2500, "height": 2500, "is_intermediate": True},
            "b1": {"id": "b1", **blur},
            "b2": {"id": "b2", **blur},
            "b3": {"id": "b3", **blur},
            "out": {"id": "out", "type": "img_resize", "width": 32, "height": 32, "use_cache": False},
        },
        "edges": [edge("blank", "b1"), edge("b1", "b2"), edge("b2", "b3"), edge("b3", "out")],
    }


@pytest.fixture(scope="module")
def kill_sandbox() -> Iterator[Sandbox]:
    sandbox = Sandbox(name="kill-test")
    try:
        yield sandbox
    finally:
        sandbox.down()


@pytest.mark.server
@pytest.mark.timeout(300)
@pytest.mark.parametrize("monitor", ["api", "auto"])
def test_killing_the_server_mid_job_ends_the_wait_with_an_error(kill_sandbox: Sandbox, monitor: str) -> None:
    kill_sandbox.up()
    pid = kill_sandbox.pid
    with Client(kill_sandbox.url, db_path=kill_sandbox.db_path, timeout=5) as client:
        job = client.submit(slow_graph())
        end = time.monotonic() + 60
        while client.queue.item(job.item_ids[0])["status"] == "pending":
            assert time.monotonic() < end
            time.sleep(0.05)
        killer = threading.Timer(0.5, os.kill, (pid, signal.SIGKILL))
        killer.start()
        try:
            with pytest.raises((ServerError, MonitorError)) as info:
                job.wait(monitor=monitor, timeout=240)
        finally:
            killer.join()
        assert not isinstance(info.value, JobTimeout)  # it noticed the death, it did not just time out
