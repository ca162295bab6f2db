"""The library prints nothing by itself: its loggers end in a ``NullHandler``, so a retry's warning
never reaches stderr (a notebook's cells) through Python's last-resort handler."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# a GET to a port nobody listens on: refused, retried (test mode: no sleeping), then given up
SCRIPT = textwrap.dedent("""
    import logging, sys
    import invokekit
    from invokekit.api import _retry
    from invokekit.api._transport import Transport
    from invokekit.errors import ServerUnavailable

    if sys.argv[2] == "without-null-handler":
        logging.getLogger("invokekit").handlers.clear()
    _retry.set_testing(True)
    try:
        Transport(sys.argv[1], timeout=2).request("GET", "/api/v1/app/version")
    except ServerUnavailable:
        print("unavailable")
""")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(mode: str) -> subprocess.CompletedProcess[str]:
    url = f"http://127.0.0.1:{_closed_port()}"
    return subprocess.run([sys.executable, "-c", SCRIPT, url, mode], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_a_retried_request_prints_nothing_on_stderr() -> None:
    done = _run("as-imported")
    assert done.stdout == "unavailable\n" and done.stderr == ""


def test_the_null_handler_is_what_keeps_the_retry_warnings_off_stderr() -> None:
    done = _run("without-null-handler")  # as before the handler: the last-resort handler prints them
    assert done.stdout == "unavailable\n"
    assert [line for line in done.stderr.splitlines() if "retrying in" in line] != []
