"""Which loopback port a sandbox server gets: the one asked for, else the one it ran on last time
(so a restart, even after a crash, keeps its URL and journals still find it), else a free one."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Callable
from pathlib import Path

HOST = "127.0.0.1"
#: how long a port a dead server still holds may take to be released before another is chosen
PORT_GRACE = 3.0


def port_is_free(port: int) -> bool:
    """True if a server could listen on ``127.0.0.1:port`` now (a bind test, which also catches
    sockets bound but not listening).

    The test binds with ``SO_REUSEADDR``, as InvokeAI's server (uvicorn) does: connections of a
    server that just died linger in TIME_WAIT on its port for a minute, and must not make the port
    look taken (a restarted sandbox keeps its port, so journals and notebooks still find it).
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def port_frees_up(port: int, seconds: float) -> bool:
    """Whether ``port`` is free, or becomes free within ``seconds`` (a server killed a moment ago
    still holds its listening socket while its threads are torn down)."""
    deadline = time.monotonic() + seconds
    while not port_is_free(port):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def choose_port(requested: int | None, root: Path, say: Callable[[str], None]) -> int:
    """The ``requested`` port, else the one the sandbox at ``root`` ran on last time (so a restart,
    even after a crash, keeps its URL), else a free one; a taken port is replaced by a free one."""
    wanted = requested if requested is not None else configured_port(root)
    if wanted is None:
        return free_port()
    if port_frees_up(wanted, PORT_GRACE):
        return wanted
    port = free_port()
    say(f"port {wanted}{'' if requested is not None else ', where this sandbox ran last,'} is in use; using port "
        f"{port} instead")
    return port


def configured_port(root: Path) -> int | None:
    """The port ``root/invokeai.yaml`` names (the one the sandbox last ran on), if any."""
    try:
        text = (root / "invokeai.yaml").read_text(encoding="utf-8")
    except OSError:
        return None
    found = re.search(r"^port:\s*(\d+)\s*$", text, re.MULTILINE)
    return int(found.group(1)) if found else None


def free_port() -> int:
    """A port the kernel says is free right now (bind to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


__all__ = ["HOST", "PORT_GRACE", "choose_port", "configured_port", "free_port", "port_frees_up",
           "port_is_free"]
