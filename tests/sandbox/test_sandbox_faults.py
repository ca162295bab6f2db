"""Bad cases of the sandbox give clear errors (or a clear fallback), and leave no process behind."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from pathlib import Path

import pytest

from invokekit.errors import SandboxError
from invokekit.sandbox import Sandbox
from invokekit.sandbox._server import HOST, pid_alive


def _group_members(pgid: int) -> list[int]:
    """Pids of live processes in process group ``pgid`` (read from /proc)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def _forget(sandbox: Sandbox) -> None:
    sandbox.down()
    shutil.rmtree(sandbox.layout.sandbox_dir(sandbox.name), ignore_errors=True)


def test_install_failure_names_the_step_and_the_log(tmp_path: Path) -> None:
    missing_wheel = tmp_path / "no-such-invokeai-6.14.2-py3-none-any.whl"  # pip fails without any network
    sandbox = Sandbox(
        "test-install-fail", cache_dir=tmp_path / "cache", requirements=[str(missing_wheel)], progress=None
    )
    with pytest.raises(SandboxError) as caught:
        sandbox.up()
    error = caught.value
    assert "installing InvokeAI failed" in str(error)
    assert error.log_path is not None and Path(error.log_path).is_file()
    assert str(missing_wheel) in Path(error.log_path).read_text()
    assert f"full log: {error.log_path}" in str(error)
    assert not sandbox.layout.install_marker.exists()
    assert not sandbox.layout.state_file(sandbox.name).exists()


@pytest.mark.server
def test_server_exiting_during_start_reports_the_log_tail() -> None:
    sandbox = Sandbox("test-bad-config", progress=None)
    try:
        sandbox.root.mkdir(parents=True, exist_ok=True)
        (sandbox.root / "invokeai.yaml").write_text("schema_version: 4.0.3\nlog_level: shouting\n")
        with pytest.raises(SandboxError) as caught:
            sandbox.up()
        error = caught.value
        assert "exited with code" in str(error)
        assert error.log_tail is not None and "log_level" in error.log_tail
        assert error.log_path == str(sandbox.log_path)
        assert sandbox.status() is None
        assert not sandbox.layout.state_file(sandbox.name).exists()
    finally:
        _forget(sandbox)


@pytest.mark.server
def test_port_in_use_is_replaced_and_reported_and_exit_leaves_no_process() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind((HOST, 0))
        busy.listen()
        taken = busy.getsockname()[1]
        sandbox = Sandbox("test-port-in-use", port=taken, progress=None)
        try:
            with sandbox:
                assert sandbox.started
                port = int(sandbox.url.rsplit(":", 1)[1])
                assert port != taken
                assert sandbox.info()["url"] == f"http://{HOST}:{port}"
                assert f"port: {port}" in (sandbox.root / "invokeai.yaml").read_text()
                pid = sandbox.pid
                assert pid_alive(pid)
                assert sandbox.layout.state_file(sandbox.name).exists()
                # even with its state file lost, down() finds the server of this root and stops it
                sandbox.layout.state_file(sandbox.name).unlink()
            assert not pid_alive(pid)
            assert _group_members(pid) == []
            assert not sandbox.layout.state_file(sandbox.name).exists()
            assert sandbox.status() is None
        finally:
            _forget(sandbox)


@pytest.mark.server
def test_context_manager_does_not_stop_a_server_it_did_not_start(invokeai_sandbox: Sandbox) -> None:
    with Sandbox(progress=None) as again:
        assert again.pid == invokeai_sandbox.pid
        assert not again.started
    assert invokeai_sandbox.status() is not None
    assert pid_alive(invokeai_sandbox.pid) and os.getpgid(invokeai_sandbox.pid) == invokeai_sandbox.pid


def _bind_without_reuse(port: int) -> bool:
    """Whether a plain bind (no SO_REUSEADDR) to ``port`` succeeds now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


@pytest.mark.server
@pytest.mark.timeout(400)
def test_a_crashed_sandbox_comes_back_on_its_port_so_resume_finds_it(tmp_path: Path) -> None:
    from invokekit.cli import main
    from invokekit.client import Client

    graph = {
        "nodes": {
            "blank": {"id": "blank", "type": "blank_image", "width": 16, "height": 16, "is_intermediate": True},
            "resize": {"id": "resize", "type": "img_resize", "width": 20, "height": 12, "use_cache": False},
        },
        "edges": [
            {"source": {"node_id": "blank", "field": "image"}, "destination": {"node_id": "resize", "field": "image"}}
        ],
    }
    sandbox = Sandbox("test-port-crash", progress=None)
    try:
        sandbox.up()
        url, port = sandbox.url, int(sandbox.url.rsplit(":", 1)[1])
        journal = tmp_path / "journal.jsonl"
        with Client(url) as client:
            job = client.submit(graph, journal=journal)
            job.wait(monitor="api", timeout=120)  # finished on the server, not downloaded yet: then the crash
            pid = sandbox.pid
            os.killpg(os.getpgid(pid), signal.SIGKILL)
            while pid_alive(pid):
                time.sleep(0.05)
        # the dead server's connections linger in TIME_WAIT on its port: a plain bind is refused...
        assert not _bind_without_reuse(port)
        again = Sandbox("test-port-crash", progress=None).up()
        assert again.started and again.url == url  # ...yet the sandbox comes back on that port
        assert main(["resume", str(journal), "--out", str(tmp_path / "out")]) == 0  # no --url needed
        assert [p.suffix for p in (tmp_path / "out").iterdir() if p.suffix == ".png"] == [".png"]
    finally:
        _forget(sandbox)


def _failing_first(tmp_path: Path, real: Path | None) -> Path:
    """An ``invokeai-web`` that fails its start like InvokeAI's VACUUM race does; then runs ``real``
    (or fails the same way again when there is none)."""
    mark = tmp_path / "failed-once"
    script = tmp_path / "invokeai-web"
    again = f'exec {real} "$@"' if real else "exit 1"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ ! -e {mark} ]; then : > {mark}\n'
        '  echo "sqlite3.OperationalError: cannot VACUUM - SQL statements in progress"; exit 1\nfi\n'
        f"{again}\n"
    )
    script.chmod(0o755)
    return script


def _starts(sandbox: Sandbox) -> int:
    return sum(line.startswith("$ ") for line in sandbox.log_path.read_text().splitlines())


@pytest.mark.server
def test_a_start_lost_to_invokeais_vacuum_race_is_tried_once_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Sandbox("test-vacuum-race", progress=None)
    real = sandbox.layout.invokeai_web
    sandbox.ensure_installed()
    monkeypatch.setattr(type(sandbox.layout), "invokeai_web", property(lambda _l: _failing_first(tmp_path, real)))
    try:
        sandbox.log_path.unlink(missing_ok=True)
        sandbox.up()
        assert "cannot VACUUM" in sandbox.log_path.read_text() and _starts(sandbox) == 2
        assert sandbox.status() is not None and pid_alive(sandbox.pid)
    finally:
        _forget(sandbox)


@pytest.mark.server
def test_a_start_that_fails_twice_raises_with_the_log_and_leaves_no_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox = Sandbox("test-vacuum-twice", progress=None)
    sandbox.ensure_installed()
    monkeypatch.setattr(type(sandbox.layout), "invokeai_web", property(lambda _l: _failing_first(tmp_path, None)))
    try:
        sandbox.log_path.unlink(missing_ok=True)
        with pytest.raises(SandboxError, match="exited with code 1") as caught:
            sandbox.up()
        assert _starts(sandbox) == 2, "tried once more, not forever"
        assert caught.value.log_path == str(sandbox.log_path)
        assert sandbox.status() is None and not sandbox.layout.state_file(sandbox.name).exists()
    finally:
        _forget(sandbox)
