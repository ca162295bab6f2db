"""Multi-user mode (off by default since InvokeAI 6.12): log in, then everything works with the JWT.

Runs its own short-lived InvokeAI with ``multiuser: true`` in a temporary root (the shared sandbox
stays single-user), using the sandbox's server helpers to write the config and start it.
"""

from __future__ import annotations

import json
import logging
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from invokekit.cli import main
from invokekit.client import Client
from invokekit.errors import AuthenticationError
from invokekit.monitors import EventMonitor
from invokekit.sandbox import _server
from invokekit.sandbox._layout import Layout, default_cache_dir
from invokekit.sandbox._ports import free_port

EMAIL, PASSWORD = "admin@example.com", "Sup3r-secret-pw!"
GRAPH = {"nodes": {"blank": {"id": "blank", "type": "blank_image", "width": 8, "height": 8}}, "edges": []}


@pytest.fixture(scope="module")
def multiuser_url(invokeai_sandbox, tmp_path_factory) -> Iterator[str]:
    # invokeai_sandbox: makes sure InvokeAI is installed in the cache
    root: Path = tmp_path_factory.mktemp("multiuser-root")
    config = _server.write_config(root, free_port())
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
    job = client.submit(GRAPH)
    for monitor in ("api", "events"):
        again = client.job(job.batch_id, item_ids=job.item_ids)
        assert [r.status for r in again.wait(monitor=monitor, timeout=120)] == ["completed"]
        job = again
    [path] = job.download(tmp_path)
    assert path.stat().st_size > 0
    assert token not in caplog.text and token not in repr(client)  # never logged
    with Client(multiuser_url, token=token) as reuse:
        assert reuse.queue.status()["queue"]["queue_id"] == "default"


@pytest.mark.server
def test_the_token_never_reaches_a_log_even_with_socketio_logging_on(multiuser_url: str, caplog) -> None:
    names = ("socketio.client", "engineio.client", "websocket")
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:  # what someone debugging a connection would do
        logging.getLogger(name).setLevel(logging.DEBUG)
    caplog.set_level(logging.DEBUG)
    try:
        with Client(multiuser_url) as client:
            token = client.login(EMAIL, PASSWORD)
            job = client.submit(GRAPH)
            [result] = job.wait(monitor=EventMonitor(client.transport), timeout=120)  # events only
            assert result.status == "completed"
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    assert any(r.name == "engineio.client" and "Sending packet" in r.getMessage() for r in caplog.records)
    assert token not in caplog.text and PASSWORD not in caplog.text


@pytest.mark.server
def test_cli_login_gives_every_command_the_token(multiuser_url: str, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.delenv("INVOKEAI_URL", raising=False)
    monkeypatch.setenv("INVOKEAI_EMAIL", EMAIL)
    monkeypatch.setenv("INVOKEAI_PASSWORD", PASSWORD)
    assert main(["login", "--url", multiuser_url]) == 0
    out, err = capsys.readouterr()
    exports = dict(shlex.split(line)[1].split("=", 1) for line in out.splitlines())
    assert set(exports) == {"INVOKEAI_URL", "INVOKEAI_TOKEN"} and exports["INVOKEAI_URL"] == multiuser_url
    assert PASSWORD not in out + err and EMAIL in err
    with Client(multiuser_url, token=exports["INVOKEAI_TOKEN"]) as client:  # the token works
        assert client.queue.status()["queue"]["queue_id"] == "default"
    for name, value in exports.items():  # eval "$(invokekit login ...)"
        monkeypatch.setenv(name, value)
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(GRAPH))
    assert main(["run", str(graph), "--monitor", "api", "--out", str(tmp_path / "out")]) == 0  # every command
    assert [p.suffix for p in (tmp_path / "out").iterdir() if p.suffix == ".png"] == [".png"]
    capsys.readouterr()
    monkeypatch.setenv("INVOKEAI_PASSWORD", "not the password")
    assert main(["login", "--url", multiuser_url]) == 1
    out, err = capsys.readouterr()
    assert out == "" and "HTTP 401" in err and "not the password" not in err
    monkeypatch.delenv("INVOKEAI_PASSWORD")
    assert main(["login", "--url", multiuser_url]) == 2  # no password, no terminal to ask on
    assert "INVOKEAI_PASSWORD" in capsys.readouterr().err


def test_client_login_from_the_environment_says_what_is_missing(monkeypatch) -> None:
    monkeypatch.delenv("INVOKEAI_EMAIL", raising=False)
    monkeypatch.delenv("INVOKEAI_PASSWORD", raising=False)
    with Client("http://127.0.0.1:9") as client, pytest.raises(AuthenticationError, match="EMAIL and INVOKEAI_PASS"):
        client.login()
