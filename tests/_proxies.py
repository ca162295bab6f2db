"""TCP forwarders on loopback, standing in front of the real server (``from _proxies import ...``).

:class:`TcpProxy` runs in the test's process: :meth:`~TcpProxy.kill` and
:meth:`~TcpProxy.drop_connections` cut every connection at once, as a network failure would, and
:meth:`~TcpProxy.black_hole` keeps them open but lets nothing through, as a network that silently
loses every packet (the server itself cannot produce those faults).

:class:`PortProxy` runs the same forwarder in a process of its own (``python _proxies.py HOST PORT
[ARG ...]`` prints its port and forwards until terminated; extra arguments are ignored, so a test
can give it an InvokeAI-like ``--root DIR``). To the client that proxy IS the server: the process
listening on the URL's port is the proxy, with the working directory, environment and arguments
the test chose, which is how a server whose database is elsewhere (or is a stale copy) looks from
this machine.

The HTTP-level fault proxy (dropped, stalled, truncated or rewritten responses) is ``_faultproxy``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit


class TcpProxy:
    """A forwarder to ``target_host:target_port`` listening on ``port`` (0: a free one) of 127.0.0.1."""

    def __init__(self, target_host: str, target_port: int, port: int = 0) -> None:
        self.target = (target_host, target_port)
        self._listener = socket.create_server(("127.0.0.1", port))
        self._listener.settimeout(0.1)  # so the accept loop notices kill() promptly
        self.port = self._listener.getsockname()[1]
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._alive = True
        self._holding = threading.Event()  # set: swallow everything (see black_hole)
        self._start(self._accept_loop)

    @classmethod
    def to(cls, url: str) -> TcpProxy:
        """A forwarder to the server at ``url``."""
        target = urlsplit(url)
        return cls(str(target.hostname), int(target.port or 80))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _start(self, target: Callable[..., None], *args: Any) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="ik-test-proxy")
        thread.start()
        self._threads.append(thread)

    def _accept_loop(self) -> None:
        while self._alive:
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._holding.is_set():  # accepted, never answered
                with self._lock:
                    self._conns.append(client)
                self._start(_swallow, client)
                continue
            try:
                upstream = socket.create_connection(self.target)
            except OSError:  # the server is gone: the client sees its connection closed
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            self._start(_pipe, client, upstream, self._holding)
            self._start(_pipe, upstream, client, self._holding)

    def black_hole(self) -> None:
        """From now on pass nothing on, either way, on every connection, old and new (they stay open)."""
        self._holding.set()

    def drop_connections(self) -> None:
        """Cut every open connection, keep accepting new ones (a network blip)."""
        with self._lock:
            conns, self._conns = self._conns, []
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def kill(self) -> None:
        """Stop listening and cut every connection (the server seems to die)."""
        self._alive = False
        self._listener.close()
        self.drop_connections()
        for t in self._threads:
            t.join(timeout=5)


def _pipe(src: socket.socket, dst: socket.socket, holding: threading.Event | None = None) -> None:
    try:
        while data := src.recv(65536):
            if holding is None or not holding.is_set():
                dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)


def _swallow(src: socket.socket) -> None:
    """Read and drop whatever comes, until the connection is closed."""
    with contextlib.suppress(OSError):
        while src.recv(65536):
            pass


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


if __name__ == "__main__":
    proxy = TcpProxy(sys.argv[1], int(sys.argv[2]))
    print(proxy.port, flush=True)
    threading.Event().wait()  # forward until terminated
