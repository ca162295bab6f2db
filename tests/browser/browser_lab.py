"""Helpers for real-browser tests: a throw-away JupyterLab server, and how to launch Chromium.

JupyterLab serves a *copy* of the notebooks (its autosave must never rewrite the stored,
nbval-checked notebooks). The Chromium is Debian's (``apt-get install chromium``): Playwright
cannot download its own browsers on this machine, so it is launched by path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("INVOKEKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _kernel_dir(base: Path) -> Path:
    """A Jupyter data dir holding an ``invokekit`` kernel spec that runs *this* interpreter.

    The notebooks name the ``invokekit`` kernel (installed by ``make setup``); this makes the test
    independent of whether that step ran, and sure to use the project venv.
    """
    spec = base / "kernels" / "invokekit"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                "display_name": "invokekit (.venv)",
                "language": "python",
            }
        ),
        encoding="utf-8",
    )
    return base


class LabServer:
    """A running ``jupyter lab`` (no token, app exposed as ``window.jupyterapp``)."""

    def __init__(self, root_dir: Path, work_dir: Path, env: dict[str, str], unset: Sequence[str] = ()) -> None:
        self.root_dir = root_dir
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = work_dir / "jupyter-lab.log"
        cmd = [
            sys.executable, "-m", "jupyterlab",
            "--no-browser", f"--port={self.port}", "--ip=127.0.0.1",
            f"--ServerApp.root_dir={root_dir}",
            "--ServerApp.token=", "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True",
            "--LabApp.expose_app_in_browser=True",
            "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]  # fmt: skip
        if os.geteuid() == 0:
            cmd.append("--allow-root")
        config_dir = work_dir / "config"
        (config_dir / "labconfig").mkdir(parents=True, exist_ok=True)
        # no "would you like news?" toast over the panel in the screenshot
        (config_dir / "labconfig" / "page_config.json").write_text(
            json.dumps({"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}),
            encoding="utf-8",
        )
        full_env = {k: v for k, v in os.environ.items() if k not in unset}
        full_env.update(
            {
                **env,
                "JUPYTER_CONFIG_DIR": str(config_dir),
                "JUPYTER_RUNTIME_DIR": str(work_dir / "runtime"),
                "JUPYTER_PATH": str(_kernel_dir(work_dir / "data")),
                "IPYTHONDIR": str(work_dir / "ipython"),
                "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            }
        )
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            cmd, cwd=root_dir, env=full_env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self._wait_ready(timeout=60)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if requests.get(f"{self.url}/api/status", timeout=2).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"jupyter lab did not answer within {timeout} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self._log.closed:
            self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server and every kernel it started (they share its process group)."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self._log.close()


def start_lab(
    notebooks: Sequence[Path], tmp_path: Path, env: dict[str, str] | None = None, unset: Sequence[str] = ()
) -> LabServer:
    """Copy ``notebooks`` into a fresh root dir and serve it with JupyterLab (``unset``: env vars to drop)."""
    root = tmp_path / "lab-root"
    root.mkdir()
    for nb in notebooks:
        shutil.copy2(nb, root / nb.name)
    work = tmp_path / "lab-work"
    work.mkdir()
    return LabServer(root, work, env or {}, unset)
