"""Installing InvokeAI into its own venv in the cache, once, safely when several processes ask.

The venv is complete when its marker file lists exactly the requirements asked for and
``invokeai-web`` exists. A venv made by hand with the same command (no marker) is adopted after
checking, in the venv's own python, that the pinned distributions are installed at those versions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Sequence

from filelock import FileLock

from invokekit._files import write_text_atomic
from invokekit.errors import SandboxError
from invokekit.sandbox._layout import Layout
from invokekit.sandbox._proc import StatusCallback, run_logged

_VERSIONS_SCRIPT = """
import importlib.metadata as m, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        out[name] = m.version(name)
    except m.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""


def _pins(requirements: Sequence[str]) -> dict[str, str | None]:
    """``{"torch": "2.14.1", "websocket-client": None}`` for simple ``name==version`` requirements."""
    pins: dict[str, str | None] = {}
    for req in requirements:
        name, sep, version = req.partition("==")
        if not name or any(c in name for c in "/\\<>=!~;[ @"):
            continue  # a path or a complex specifier: pip checked it, nothing simple to verify
        pins[name.strip()] = version.strip() if sep else None
    return pins


def _installed_versions(layout: Layout, names: Sequence[str]) -> dict[str, str | None] | None:
    """Versions of ``names`` as the venv's python sees them, or None if that python does not run."""
    if not layout.venv_python.exists():
        return None
    try:
        out = subprocess.run(
            [str(layout.venv_python), "-c", _VERSIONS_SCRIPT, *names],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        return None


def _matches(requirements: Sequence[str], installed: dict[str, str | None]) -> bool:
    for name, want in _pins(requirements).items():
        have = installed.get(name)
        if have is None:
            return False
        if want is not None and have.split("+", 1)[0] != want:
            return False
    return True


def venv_is_complete(layout: Layout, requirements: Sequence[str]) -> bool:
    """True when the marker lists exactly ``requirements`` and ``invokeai-web`` is there (cheap check)."""
    if not layout.invokeai_web.exists():
        return False
    try:
        marker = json.loads(layout.install_marker.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(marker, dict) and marker.get("requirements") == list(requirements)


def _write_marker(layout: Layout, requirements: Sequence[str], installed: dict[str, str | None]) -> None:
    marker = {"requirements": list(requirements), "installed": installed, "at": time.time()}
    write_text_atomic(layout.install_marker, json.dumps(marker, indent=2))


def _verify_and_mark(layout: Layout, requirements: Sequence[str]) -> bool:
    """Adopt an existing venv (e.g. made by hand) if it really holds the requirements; write the marker."""
    if not layout.invokeai_web.exists():
        return False
    names = list(_pins(requirements))
    installed = _installed_versions(layout, names)
    if installed is None or not _matches(requirements, installed):
        return False
    _write_marker(layout, requirements, installed)
    return True


def ensure_venv(layout: Layout, requirements: Sequence[str], *, status: StatusCallback | None = None) -> None:
    """Make sure the InvokeAI venv is installed; install it (under a file lock) if it is not.

    Raises SandboxError naming the failed step and the install log's path.
    """
    if venv_is_complete(layout, requirements):
        return
    layout.cache.mkdir(parents=True, exist_ok=True)
    with FileLock(str(layout.install_lock)):
        # another process may have finished the install while we waited for the lock
        if venv_is_complete(layout, requirements) or _verify_and_mark(layout, requirements):
            return
        started = time.monotonic()
        layout.install_dir.mkdir(parents=True, exist_ok=True)
        if status:
            status(f"installing {', '.join(requirements)} into {layout.venv} (log: {layout.install_log})")
        if not layout.venv_python.exists():
            run_logged(
                [sys.executable, "-m", "venv", layout.venv],
                log_path=layout.install_log,
                what="creating the InvokeAI venv",
                status=status,
            )
        run_logged(
            [layout.venv_python, "-m", "pip", "install", "--progress-bar", "off", *requirements],
            log_path=layout.install_log,
            what="installing InvokeAI",
            status=status,
        )
        if not _verify_and_mark(layout, requirements):
            raise SandboxError(
                f"installing InvokeAI finished but the venv at {layout.venv} does not hold "
                f"{', '.join(requirements)} (or has no invokeai-web)",
                log_path=layout.install_log,
            )
        if status:
            status(f"InvokeAI installed in {time.monotonic() - started:.0f} s")
