"""The :class:`Sandbox`: one named, local InvokeAI server with the tiny models installed.

A sandbox is identified by its name; its state file records the running server so that any
process (a notebook, the CLI, a pytest session) reuses it instead of starting a second one. Every
state change happens under a per-name file lock.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock

from invokekit._files import write_text_atomic
from invokekit.client import Transport
from invokekit.errors import SandboxError
from invokekit.sandbox import _leases, _limits, _server
from invokekit.sandbox._layout import MODEL_NAMES, REQUIREMENTS, Layout, default_cache_dir
from invokekit.sandbox._limits import CpuLimits
from invokekit.sandbox._model_files import ensure_model_files
from invokekit.sandbox._models import install_tiny_models
from invokekit.sandbox._ports import choose_port
from invokekit.sandbox._proc import StatusCallback, print_status
from invokekit.sandbox._venv import ensure_venv


class Sandbox:
    """A real InvokeAI on 127.0.0.1 for tests, notebooks and demos; ``with Sandbox() as sb: ...``.

    ``port`` None keeps the port the sandbox ran on last time (after a crash too), else picks a free
    one; a port that is taken is replaced by a free one (the port really used is in ``url``).
    ``cache_dir`` defaults to ``$INVOKEKIT_CACHE`` or ``~/.cache/invokekit``. ``requirements`` is
    what gets pip-installed into the InvokeAI venv.
    ``name`` defaults to ``$INVOKEKIT_SANDBOX``, else "default" (a private sandbox for one test run or
    one developer: ``INVOKEKIT_SANDBOX=mine``). ``progress`` receives short progress lines (default:
    printed on stderr; None for silence).
    ``cpus``, ``threads``, ``nice``: the server's CPU limits (:class:`CpuLimits`; None: as last started).
    """

    def __init__(
        self,
        name: str | None = None,
        port: int | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        *,
        requirements: Sequence[str] = REQUIREMENTS,
        start_timeout: float = 120.0,
        progress: StatusCallback | None = print_status,
        settings: Mapping[str, str | int | float | bool] | None = None,
        cpus: Iterable[int] | str | None = None,
        threads: int | None = None,
        nice: int | None = None,
    ) -> None:
        name = name or os.environ.get("INVOKEKIT_SANDBOX") or "default"
        if not name or "/" in name or name.startswith("."):
            raise SandboxError(f"invalid sandbox name {name!r}: use a plain folder name")
        self.name = name
        self.requested_port = port
        cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        self.layout = Layout(cache.absolute())  # absolute: the root path identifies our server process
        self.requirements = tuple(requirements)
        self.start_timeout = start_timeout
        #: InvokeAI settings written to its invokeai.yaml when this object starts the server (a
        #: running server is reused as it is); they stay in the file for later starts
        self.settings = dict(settings or {})
        self._asked_limits = _limits.asked(cpus, threads, nice)  # bad limits fail here, before any start
        self._status = progress
        self._state: dict[str, Any] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._lock = FileLock(str(self.layout.sandbox_lock(self.name)))  # reentrant within this object
        self.started = False  # True if THIS object started the server (and so stops it on exit)

    # --- public surface -----------------------------------------------------------------------

    @property
    def url(self) -> str:
        return str(self._require()["url"])

    @property
    def db_path(self) -> Path:
        return Path(self._require()["db_path"])

    @property
    def root(self) -> Path:
        return self.layout.root(self.name)

    @property
    def pid(self) -> int:
        return int(self._require()["pid"])

    @property
    def models(self) -> dict[str, str]:
        return dict(MODEL_NAMES)

    @property
    def log_path(self) -> Path:
        return self.layout.server_log(self.name)

    @property
    def limits(self) -> CpuLimits:
        """The CPUs, threads and nice the running server was started with."""
        return CpuLimits.from_dict(self._require().get("limits"))

    def info(self) -> dict[str, Any]:
        """``{"url", "db_path", "root", "pid", "models"}`` of the running server."""
        state = self._require()
        return {k: state[k] for k in ("url", "db_path", "root", "pid", "models")}

    def status(self) -> dict[str, Any] | None:
        """The state of this sandbox's server if it is running and answering, else None."""
        state = self._read_state()
        if state is None or not _server.is_server_of(int(state["pid"]), self.root):
            return None
        if _server.version(state["url"], timeout=10.0) is None and _server.version(state["url"], timeout=30.0) is None:
            return None  # alive but silent for 40 s: hung (a busy server still answers this async route)
        self._state = state
        return state

    def ensure_installed(self) -> None:
        """Install InvokeAI and build the tiny models if missing (no server); for set-up steps."""
        ensure_venv(self.layout, self.requirements, status=self._status)
        ensure_model_files(self.layout, status=self._status)

    def up(self, *, hold: bool = False) -> Sandbox:
        """Start the server (installing what is missing), or reuse it if it already runs; return self.

        ``hold=True`` also registers this process as a user of the server (see :meth:`release`), in
        the same locked step, so that no other process's :meth:`release` stops it in between.
        """
        self.layout.sandbox_dir(self.name).mkdir(parents=True, exist_ok=True)
        with self._lock:
            state = self.status()
            if state is not None and self._restart_for_limits(state):
                state = None
            if state is None:
                state = self._start()
            else:
                self._say(f"reusing the running sandbox {self.name!r} at {state['url']} (pid {state['pid']})")
            self._install_models(state)
            if state.get("models") != MODEL_NAMES:  # a server started by an older invokekit
                self._write_state({**state, "models": dict(MODEL_NAMES)})
            if hold:
                _leases.add(self.layout.sandbox_dir(self.name))
        return self

    def release(self) -> bool:
        """Stop being a user of the server; stop it if this object started it and nobody else holds it.

        A starter that leaves while other processes still hold the server marks it "stop when
        unused", and the last holder to release it stops it. Returns True if the server was stopped.
        """
        with self._lock:
            folder = self.layout.sandbox_dir(self.name)
            others = _leases.remove_and_count_others(folder)
            state = self._read_state()
            if state is None:
                return False
            if not (self._owns(state) or state.get("stop_when_unused")):
                return False
            if others:
                self._write_state({**state, "stop_when_unused": True})
                return False
            self.down()
            return True

    def down(self) -> None:
        """Stop this sandbox's server (SIGTERM, then SIGKILL) and forget its state; no-op if not running."""
        with self._lock:
            pids = set(_server.servers_of(self.root))  # also any server of this root whose state was lost
            state = self._read_state()
            if state and _server.is_server_of(int(state["pid"]), self.root):
                pids.add(int(state["pid"]))
            if self._proc is not None:
                pids.add(self._proc.pid)
            for pid in pids:
                _server.stop(pid)
            if self._proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self._proc.wait(timeout=5)
                self._proc = None
            self.layout.state_file(self.name).unlink(missing_ok=True)
            self._state = None
            self.started = False

    def __enter__(self) -> Sandbox:
        return self.up()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.started and (self._owns(self._read_state()) or self._read_state() is None):
            self.down()
        elif self._proc is not None:  # ours died and someone else started a new one: leave theirs alone
            _server.stop(self._proc.pid)
            self._proc.poll()
            self._proc = None

    def __repr__(self) -> str:
        where = self._state["url"] if self._state else "not running"
        return f"Sandbox(name={self.name!r}, {where}, cache={str(self.layout.cache)!r})"

    # --- internals ----------------------------------------------------------------------------

    def _say(self, message: str) -> None:
        if self._status is not None:
            self._status(message)

    def _owns(self, state: dict[str, Any] | None) -> bool:
        """True if ``state`` describes the server this object started (not a later one by someone else)."""
        return bool(self.started and self._proc is not None and state and int(state["pid"]) == self._proc.pid)

    def _require(self) -> dict[str, Any]:
        if self._state is None:
            self._state = self._read_state()
        if self._state is None:
            raise SandboxError(f"sandbox {self.name!r} is not running; call up() first")
        return self._state

    def _read_state(self) -> dict[str, Any] | None:
        try:
            state = json.loads(self.layout.state_file(self.name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return state if isinstance(state, dict) and {"url", "pid"} <= state.keys() else None

    def _write_state(self, state: dict[str, Any]) -> None:
        write_text_atomic(self.layout.state_file(self.name), json.dumps(state, indent=2))
        self._state = state

    def _restart_for_limits(self, state: dict[str, Any]) -> bool:
        """Stop the running server if it was started with other CPU limits than asked; True if so."""
        running, wanted = _limits.running_and_wanted(state.get("limits"), self._asked_limits)
        if wanted == running:
            return False
        if _leases.count_others(self.layout.sandbox_dir(self.name)):  # never restart it under another user
            raise SandboxError(f"sandbox {self.name!r} is in use with {running.describe()}, not {wanted.describe()}")
        self._say(f"sandbox {self.name!r} runs with {running.describe()}; restarting it with {wanted.describe()}")
        self.down()
        return True

    def _start(self) -> dict[str, Any]:
        for pid in _server.servers_of(self.root):
            # a server of this root that is hung or lost its state file: it holds the root's database
            self._say(f"stopping an unresponsive or untracked server of {self.root} (pid {pid})")
            _server.stop(pid)
        self.layout.state_file(self.name).unlink(missing_ok=True)
        self.ensure_installed()
        root = self.root
        port = choose_port(self.requested_port, root, self._say)
        _server.write_config(root, port, self.settings)
        limits = _limits.for_start(self.layout.sandbox_dir(self.name), self._asked_limits)
        log_path = self.log_path
        began = time.monotonic()
        self._say(f"starting InvokeAI in {root} on port {port} (log: {log_path})")
        self._proc, url, real_port = _server.launch(
            self.layout.invokeai_web, root, log_path, limits, self.start_timeout, self._say
        )
        if real_port != port:
            self._say(f"port {port} was taken while starting; InvokeAI runs on port {real_port}")
        self.started = True
        state = {
            "url": url,
            "pid": self._proc.pid,
            "root": str(root),
            "db_path": str(root / "databases" / "invokeai.db"),
            "models": dict(MODEL_NAMES),
            "port": real_port,
            "limits": limits.as_dict(),
            "log": str(log_path),
            "started_at": time.time(),
        }
        self._write_state(state)
        self._say(f"InvokeAI answers at {url} after {time.monotonic() - began:.1f} s (pid {self._proc.pid}, "
                  f"{limits.describe()})")
        return state

    def _install_models(self, state: dict[str, Any]) -> None:
        paths = ensure_model_files(self.layout, status=self._status)
        transport = Transport(state["url"], timeout=60.0)
        try:
            install_tiny_models(transport, paths, builds=self.layout.models_dir)
        except BaseException:
            if self.started:
                self.down()
            raise
        finally:
            transport.close()
