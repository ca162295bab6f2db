"""Downloads stream to a temporary file (never the whole body in memory) within an overall
deadline, against a hand-made server for the faults the real one cannot produce: a body that
trickles one byte a second, and a body far larger than any image. Nothing is left behind."""

from __future__ import annotations

import json
import threading
import time
import tracemalloc
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from invokekit.api import Transport
from invokekit.errors import DownloadError
from invokekit.results import download_image

BIG = 64 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        name = self.path.split("/i/", 1)[1].split("/", 1)[0]
        if not self.path.endswith("/full"):
            body = json.dumps({"image_name": name, "width": 8, "height": 8}).encode()
            self._head(len(body), "application/json")
            self.wfile.write(body)
            return
        if name == "trickle.png":
            self._head(1000, "image/png")
            try:
                for _ in range(1000):  # one byte a second: 1000 s for the whole body
                    self.wfile.write(b"\x89")
                    self.wfile.flush()
                    time.sleep(1.0)
            except OSError:
                return  # the client gave up
        elif name == "big.png":
            self._head(BIG, "image/png")
            chunk = bytes(1024 * 1024)
            try:
                for _ in range(BIG // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                return

    def _head(self, length: int, kind: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(length))
        self.end_headers()


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_trickling_server_cannot_hold_a_download_past_its_deadline(fake_url: str, tmp_path: Path) -> None:
    transport = Transport(fake_url, timeout=30)
    began = time.monotonic()
    with pytest.raises(DownloadError, match=r"not finished after 3 s"):
        download_image(transport, "trickle.png", tmp_path, deadline=3)
    assert time.monotonic() - began < 8
    assert list(tmp_path.iterdir()) == []  # no half-written file, no temporary file


def test_a_large_body_is_streamed_to_disk_not_held_in_memory(fake_url: str, tmp_path: Path) -> None:
    transport = Transport(fake_url, timeout=30)
    tracemalloc.start()
    try:
        with pytest.raises(DownloadError, match="not a readable image"):
            download_image(transport, "big.png", tmp_path)  # 64 MiB of zeros: read, then refused
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"{peak} bytes held for a {BIG}-byte body"
    assert list(tmp_path.iterdir()) == []
