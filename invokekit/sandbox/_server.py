"""Starting, watching and stopping one ``invokeai-web`` process on loopback.

The server runs in its own session (process group) so that stopping it reaches every child it
spawned. Its output goes to a log file whose tail explains a failed start. InvokeAI silently moves
to the next port when the configured one answers, so the port it really listens on is read back
from its "Invoke running on" log line rather than assumed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from invokekit import _procfs
from invokekit._files import write_text_atomic
from invokekit.api import App, Transport
from invokekit.errors import SandboxError, ServerError
from invokekit.sandbox._limits import CpuLimits
from invokekit.sandbox._ports import HOST
from invokekit.sandbox._proc import clean_env, tail

_RUNNING_RE = re.compile(r"Invoke running on https?://[^:\s]+:(\d+)")
# settings invokekit owns in invokeai.yaml; every other line (and InvokeAI default) is kept
_OWNED_KEYS = ("host", "port", "device", "precision")


def write_config(root: Path, port: int, settings: Mapping[str, str | int | float | bool] | None = None) -> Path:
    """Write ``root/invokeai.yaml`` with host, port, cpu and float32 and ``settings`` (other
    top-level InvokeAI settings, e.g. ``{"max_queue_size": 4}``), keeping any other lines in it."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "invokeai.yaml"
    settings = dict(settings or {})
    kept: list[str] = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            key = line.split(":", 1)[0].strip()
            if key not in _OWNED_KEYS and key not in settings:
                kept.append(line)
    else:
        kept = [
            "# Internal metadata - do not edit:",
            "schema_version: 4.0.3",
            "",
            "# Put user settings here - see https://invoke.ai/configuration/invokeai-yaml/:",
        ]
    owned = [f"host: {HOST}", f"port: {port}", "device: cpu", "precision: float32"]
    owned += [f"{key}: {json.dumps(value)}" for key, value in settings.items()]  # JSON scalars are YAML
    return write_text_atomic(path, "\n".join([*kept, *owned]) + "\n")


def start(invokeai_web: Path, root: Path, log_path: Path, limits: CpuLimits | None = None) -> subprocess.Popen[bytes]:
    """Launch ``invokeai-web --root ROOT`` in a new session, output appended to ``log_path``,
    pinned to the CPUs and thread count of ``limits`` (see :mod:`invokekit.sandbox._limits`)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    limits = limits or CpuLimits()
    env = clean_env(INVOKEAI_ROOT=str(root), **limits.env())
    with open(log_path, "ab") as log:
        log.write(f"\n$ {invokeai_web} --root {root}{f'  ({limits.describe()})' if limits.limited else ''}\n".encode())
        log.flush()
        return subprocess.Popen(
            limits.command([str(invokeai_web), "--root", str(root)]),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=str(root),
            start_new_session=True,
        )


#: what InvokeAI 6.14.2 logs when its start-up VACUUM meets statements still in progress (now and
#: then, right after a server of the same root was killed); the server exits, a second start works
_VACUUM_RACE = "cannot VACUUM"


def launch(
    invokeai_web: Path, root: Path, log_path: Path, limits: CpuLimits, timeout: float, say: Callable[[str], None]
) -> tuple[subprocess.Popen[bytes], str, int]:
    """:func:`start` and :func:`wait_ready`; return (process, url, port). A start that fails on
    InvokeAI's VACUUM race is tried once more; any other failure stops the process and raises."""
    retried = False
    while True:
        offset = log_path.stat().st_size if log_path.exists() else 0
        proc = start(invokeai_web, root, log_path, limits)
        try:
            url, port = wait_ready(proc, log_path, offset, timeout)
            return proc, url, port
        except BaseException as exc:
            stop(proc.pid)
            proc.poll()
            if not retried and isinstance(exc, SandboxError) and _VACUUM_RACE in _log_since(log_path, offset):
                retried = True
                say("InvokeAI's start-up VACUUM met a statement still in progress (after a kill?); starting again")
                continue
            raise


def _log_since(log_path: Path, offset: int) -> str:
    try:
        with open(log_path, "rb") as f:
            f.seek(offset)
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _reported_port(log_path: Path, offset: int) -> int | None:
    try:
        with open(log_path, "rb") as fh:
            fh.seek(offset if offset <= os.fstat(fh.fileno()).st_size else 0)  # the log may have been truncated
            text = fh.read().decode("utf-8", "replace")
    except OSError:
        return None
    found = _RUNNING_RE.findall(text)
    return int(found[-1]) if found else None


def version(url: str, timeout: float = 2.0) -> str | None:
    """The server's version string, or None if nothing InvokeAI-like answers at ``url``."""
    transport = Transport(url, timeout=timeout, retries=0)
    try:
        body = App(transport).version()
    except ServerError:
        return None
    finally:
        transport.close()
    return body.get("version") if isinstance(body, dict) else None


def wait_ready(proc: subprocess.Popen[bytes], log_path: Path, log_offset: int, timeout: float) -> tuple[str, int]:
    """Wait until the server says which port it runs on and answers there; return (url, port).

    Raises SandboxError with the log's tail if the process exits or the timeout passes.
    """
    deadline = time.monotonic() + timeout
    while True:
        code = proc.poll()
        if code is not None:
            raise SandboxError(
                f"the InvokeAI server exited with code {code} while starting",
                log_path=log_path,
                log_tail=tail(log_path, 25),
            )
        port = _reported_port(log_path, log_offset)
        if port is not None:
            url = f"http://{HOST}:{port}"
            if version(url) is not None:
                return url, port
        if time.monotonic() > deadline:
            stop(proc.pid)
            raise SandboxError(
                f"the InvokeAI server did not answer its version request within {timeout:.0f} s (stopped it)",
                log_path=log_path,
                log_tail=tail(log_path, 25),
            )
        time.sleep(0.25)


def pid_alive(pid: int) -> bool:
    """True if ``pid`` is a live process (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _serves(argv: list[str], root: Path) -> bool:
    return any(a.endswith("invokeai-web") for a in argv) and str(root) in argv


def is_server_of(pid: int, root: Path) -> bool:
    """True if ``pid`` is an ``invokeai-web`` serving ``root`` (guards against a reused pid)."""
    if not pid_alive(pid):
        return False
    if not _procfs.available():
        return True  # no /proc to look at (not Linux): trust the state file
    argv = _procfs.cmdline(pid)
    return argv is not None and _serves(argv, root)


def servers_of(root: Path) -> list[int]:
    """Pids of every live ``invokeai-web`` serving ``root``, found in /proc (empty without /proc)."""
    proc = Path("/proc")
    found = []
    if not _procfs.available():
        return found
    for entry in proc.iterdir():
        if entry.name.isdigit():
            argv = _procfs.cmdline(int(entry.name))
            if argv and _serves(argv, root) and pid_alive(int(entry.name)):
                found.append(int(entry.name))
    return found


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop(pid: int, grace: float = 15.0) -> None:
    """SIGTERM the server's process group, wait up to ``grace`` seconds, then SIGKILL what is left."""
    try:
        pgid = os.getpgid(pid)
    except ProcessLookupError:
        return
    if pgid != pid:  # not a session leader we started: signal the process only
        pgid = -1
    targets_alive = (lambda: _group_alive(pgid) and pid_alive(pid)) if pgid > 0 else (lambda: pid_alive(pid))
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            if pgid > 0:
                os.killpg(pgid, sig)
            else:
                os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            _reap(pid)
            if not targets_alive():
                break
            time.sleep(0.1)
        else:
            continue
        break
    # children left in the group after the leader exited
    if pgid > 0:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    _reap(pid)
