"""Running set-up commands with their full output in a log file and a short status line on screen.

Installs and model builds are long and chatty; the user needs to see that something is
happening, and, when it fails, the command that failed and where its whole output is.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from invokekit.errors import SandboxError

StatusCallback = Callable[[str], None]

# lines of pip / build output worth showing as the status line
_INTERESTING = ("Collecting", "Installing", "Successfully", "built", "ERROR", "error")


# variables of the caller's python that must not leak into the InvokeAI venv's processes; MPLBACKEND is
# set by a Jupyter kernel to its inline backend, which the venv's matplotlib (imported by InvokeAI's
# mediapipe nodes at start-up) does not have: a sandbox started from a notebook would fail to start
_FOREIGN_PYTHON_VARS = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "MPLBACKEND")


def clean_env(**extra: str) -> dict[str, str]:
    """The current environment without the caller's python settings, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN_PYTHON_VARS}
    env.update(extra)
    return env


def print_status(message: str) -> None:
    """Default status callback: one short line on stderr (the JSON of ``--json`` stays on stdout)."""
    print(f"invokekit sandbox: {message}", file=sys.stderr, flush=True)


def tail(path: Path, lines: int = 30) -> str:
    """The last ``lines`` lines of a text file ('' if it does not exist)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64 * 1024))
            data = fh.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(data.splitlines()[-lines:])


def run_logged(
    cmd: Sequence[str | os.PathLike[str]],
    *,
    log_path: Path,
    what: str,
    status: StatusCallback | None,
    env: Mapping[str, str] | None = None,
) -> None:
    """Run ``cmd``, appending its output to ``log_path``; raise SandboxError naming ``what`` on failure.

    Selected output lines are passed to ``status`` as they come, so long installs show progress.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    argv = [str(c) for c in cmd]
    with open(log_path, "a", encoding="utf-8") as log:
        log.write(f"\n$ {' '.join(argv)}\n")
        log.flush()
        try:
            proc = subprocess.Popen(
                argv,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=dict(env) if env is not None else clean_env(),
                text=True,
                errors="replace",
            )
        except OSError as exc:
            log.write(f"could not start: {exc}\n")
            raise SandboxError(f"{what} failed: could not run {argv[0]!r}: {exc}", log_path=log_path) from exc
        assert proc.stdout is not None
        for line in proc.stdout:
            log.write(line)
            stripped = line.strip()
            if status is not None and stripped.startswith(_INTERESTING):
                status(f"{what}: {stripped[:100]}")
        code = proc.wait()
        log.write(f"[exit code {code}]\n")
    if code != 0:
        raise SandboxError(
            f"{what} failed (exit code {code}): {' '.join(argv)[:300]}", log_path=log_path, log_tail=tail(log_path, 15)
        )
