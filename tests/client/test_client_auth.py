"""Multi-user mode (off by default since InvokeAI 6.12): log in, then everything works with the JWT.

Runs its own short-lived InvokeAI with ``multiuser: true`` in a temporary root (the shared sandbox
stays single-user), using the sandbox's server helpers to write the config and start it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from invokekit.client import Client
from invokekit.errors import AuthenticationError
from invokekit.sandbox import _server
from invokekit.sandbox._layout import Layout, default_cache_dir

EMAIL, PASSWORD = "admin@example.com", "Sup3r-secret-pw!"


@pytest.fixture(scope="module")
def multiuser_url(invokeai_sandbox, tmp_path_factory) -> Iterator[str]:
    # invokeai_sandbox: makes sure InvokeAI is installed in the cache
    root: Path = tmp_path_factory.mktemp("multiuser-root")
    config = _server.write_config(root, _server.free_port())
    config.write_text(config.read_text() + "\nmultiuser: true\n")
    log = root / "server.log"
    proc = _server.start(Layout(default_cache_dir().absolute()).invokeai_web, root, log)
    try:
        url, _port = _server.wait_ready(proc, log, 0, 180)
        with Client(url) as admin:
            admin.auth.setup(EMAIL, PASSWORD, display_name="Admin")
        yield url
    finally:
        _server.stop(proc.pid)
        proc.poll()


@pytest.mark.server
def test_login_then_submit_watch_and_download(multiuser_url: str, tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    client = Client(multiuser_url)
    with pytest.raises(AuthenticationError):
        client.queue.status()
    with pytest.raises(AuthenticationError):
        client.login(EMAIL, "wrong password")
    client.login(EMAIL, PASSWORD)
    token = client.transport.token
    assert token
    graph = {"nodes": {"blank": {"id": "blank", "type": "blank_image", "width": 8, "height": 8}}, "edges": []}
    job = client.submit(graph)
    for monitor in ("api", "events"):
        again = client.job(job.batch_id, item_ids=job.item_ids)
        assert [r.status for r in again.wait(monitor=monitor, timeout=120)] == ["completed"]
        job = again
    [path] = job.download(tmp_path)
    assert path.stat().st_size > 0
    assert token not in caplog.text and token not in repr(client)  # never logged
    with Client(multiuser_url, token=token) as reuse:
        assert reuse.queue.status()["queue"]["queue_id"] == "default"
