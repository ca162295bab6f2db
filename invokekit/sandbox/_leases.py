"""Which processes are using a shared sandbox, so that one test session does not stop it under another.

Several pytest sessions (or notebooks) may share the "default" sandbox. Each registers a lease
file named after its pid; leases of dead processes do not count. Callers hold the sandbox's
file lock around these functions.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from invokekit.sandbox._server import pid_alive


def _dir(sandbox_dir: Path) -> Path:
    return sandbox_dir / "users"


def add(sandbox_dir: Path) -> None:
    folder = _dir(sandbox_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / str(os.getpid())).touch()


def remove_and_count_others(sandbox_dir: Path) -> int:
    """Drop this process's lease (and those of dead processes); return how many live others remain."""
    folder = _dir(sandbox_dir)
    others = 0
    if not folder.is_dir():
        return 0
    for lease in folder.iterdir():
        pid = int(lease.name) if lease.name.isdigit() else -1
        if pid == os.getpid() or pid <= 0 or not pid_alive(pid):
            with contextlib.suppress(OSError):
                lease.unlink()
        else:
            others += 1
    return others


def count_others(sandbox_dir: Path) -> int:
    """How many live processes other than this one hold a lease (nothing is removed)."""
    folder = _dir(sandbox_dir)
    if not folder.is_dir():
        return 0
    pids = (int(lease.name) for lease in folder.iterdir() if lease.name.isdigit())
    return sum(1 for pid in pids if pid > 0 and pid != os.getpid() and pid_alive(pid))
