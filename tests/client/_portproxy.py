"""A TCP forwarder in a process of its own, standing in front of the real server.

``python _portproxy.py HOST PORT [ARG ...]`` listens on a free loopback port, prints it, and
forwards every connection to ``HOST:PORT`` until it is terminated; extra arguments are ignored, so
a test can give it an InvokeAI-like ``--root DIR``. To the client the proxy IS the server: the
process listening on the URL's port is the proxy, with the working directory, environment and
arguments the test chose, which is how a server whose database is elsewhere (or is a stale
copy) looks from this machine.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit


class PortProxy:
    """``with PortProxy(url, cwd=..., env=..., args=...) as proxy: Client(proxy.url)``."""

    def __init__(
        self,
        target_url: str,
        *,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        args: Sequence[str] = (),
    ) -> None:
        target = urlsplit(target_url)
        base = {"PATH": os.environ.get("PATH", ""), "HOME": str(cwd)}  # nothing of ours leaks in
        self.proc = subprocess.Popen(
            [sys.executable, __file__, str(target.hostname), str(target.port), *args],
            cwd=cwd,
            env={**base, **(env or {})},
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.url = f"http://127.0.0.1:{self.port}"
        self.pid = self.proc.pid

    def close(self) -> None:
        self.proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> PortProxy:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _pipe(src: socket.socket, dst: socket.socket) -> None:
    try:
        while data := src.recv(65536):
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)


def _serve(host: str, port: int) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        try:
            upstream = socket.create_connection((host, port))
        except OSError:
            client.close()
            continue
        threading.Thread(target=_pipe, args=(client, upstream), daemon=True).start()
        threading.Thread(target=_pipe, args=(upstream, client), daemon=True).start()


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
