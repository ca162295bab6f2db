"""A tiny HTTP proxy on loopback that injects faults the real server cannot produce on demand
(shared by tests/api and tests/client; the plain TCP forwarders are in ``_proxies``).

It forwards every request to the real server and passes the answer back, except where a rule says
otherwise: drop the response of a request (the server DID process it, the client never hears),
cut a response body short (a truncated download), rewrite a JSON response body, answer the first
requests itself with an error status such as 503 (+ headers such as ``Retry-After``) or reset
their connection, in both cases without forwarding them. Each response is sent with
``Connection: close`` so the proxy stays simple (one request per connection).
"""

from __future__ import annotations

import http.client
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

Match = Callable[[str, str], bool]  # (method, path) -> bool


@dataclass
class Rules:
    drop_response: Match | None = None
    stall_response: Match | None = None  # hold the answer back for ``stall_seconds``
    stall_seconds: float = 3.0
    truncate_body: Match | None = None
    rewrite_body: tuple[Match, Callable[[bytes], bytes]] | None = None
    # the first ``answer_times`` matching requests get ``answer_status`` + ``answer_headers``, unforwarded
    answer: Match | None = None
    answer_times: int = 1
    answer_status: int = 503
    answer_headers: dict[str, str] = field(default_factory=dict)
    # the first ``reset_times`` matching requests have their connection reset (RST), unforwarded
    reset: Match | None = None
    reset_times: int = 1
    # matching requests reach the server ``late_seconds`` late, whatever the client does meanwhile;
    # with ``late_answer`` (e.g. 504, a gateway giving up) the client is answered that at once
    late: Match | None = None
    late_seconds: float = 7.0
    late_answer: int | None = None
    late_forwarded: int = 0
    seen: list[tuple[str, str]] = field(default_factory=list)
    headers_seen: list[dict[str, str]] = field(default_factory=list)  # the request headers, as ``seen``
    seen_at: list[float] = field(default_factory=list)  # time.monotonic() of each request in ``seen``
    dropped: int = 0
    truncated: int = 0
    answered: int = 0
    resets: int = 0


def _read_request(sock: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return method, path, headers, body


class FaultProxy:
    """``with FaultProxy(upstream_url, rules) as proxy: Client(proxy.url) ...``"""

    def __init__(self, upstream: str, rules: Rules | None = None) -> None:
        parts = urlsplit(upstream)
        self.upstream_host = parts.hostname or "127.0.0.1"
        self.upstream_port = parts.port or 80
        self.rules = rules or Rules()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _forward(self, method: str, path: str, body: bytes, headers: dict[str, str]
                 ) -> tuple[http.client.HTTPResponse, bytes]:
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)
        try:
            conn.request(method, path, body=body or None, headers=headers)
            resp = conn.getresponse()
            return resp, resp.read()
        finally:
            conn.close()

    def _handle(self, sock: socket.socket) -> None:
        request = _read_request(sock)
        if request is None:
            return
        method, path, headers, body = request
        rules = self.rules
        rules.seen.append((method, path))
        rules.headers_seen.append(headers)
        rules.seen_at.append(time.monotonic())
        if rules.reset and rules.reset(method, path) and rules.resets < rules.reset_times:
            rules.resets += 1
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()  # linger 0: the close sends RST, the client reads "connection reset"
            return
        if rules.answer and rules.answer(method, path) and rules.answered < rules.answer_times:
            rules.answered += 1
            _send_status(sock, rules.answer_status, rules.answer_headers)
            return
        hop = ("host", "connection", "keep-alive", "accept-encoding")  # plain bodies, so rules can edit them
        forward = {k: v for k, v in headers.items() if k.lower() not in hop}
        if rules.late and rules.late(method, path):
            if rules.late_answer is not None:
                _send_status(sock, rules.late_answer, {})
            time.sleep(rules.late_seconds)
            self._forward(method, path, body, forward)  # the server does the work; nobody hears of it
            rules.late_forwarded += 1
            return
        resp, payload = self._forward(method, path, body, forward)
        if rules.stall_response and rules.stall_response(method, path):
            rules.dropped += 1
            time.sleep(rules.stall_seconds)  # the client times out meanwhile
        if rules.drop_response and rules.drop_response(method, path):
            rules.dropped += 1
            sock.shutdown(socket.SHUT_RDWR)  # the server did the work; the client hears nothing
            return
        if rules.rewrite_body and rules.rewrite_body[0](method, path):
            payload = rules.rewrite_body[1](payload)
        length = len(payload)
        if rules.truncate_body and rules.truncate_body(method, path):
            rules.truncated += 1
            payload = payload[: length // 2]
        skip = ("transfer-encoding", "connection", "content-length", "keep-alive")
        lines = [f"HTTP/1.1 {resp.status} {resp.reason}"]
        lines += [f"{k}: {v}" for k, v in resp.getheaders() if k.lower() not in skip]
        lines += [f"Content-Length: {length}", "Connection: close", "", ""]
        try:
            sock.sendall("\r\n".join(lines).encode("latin-1") + payload)
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def _send_status(sock: socket.socket, status: int, headers: dict[str, str]) -> None:
    body = b'{"detail": "injected by the fault proxy"}'
    lines = [f"HTTP/1.1 {status} Injected", "Content-Type: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += [f"Content-Length: {len(body)}", "Connection: close", "", ""]
    try:
        sock.sendall("\r\n".join(lines).encode("latin-1") + body)
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
