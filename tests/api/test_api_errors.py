"""A server that is not there reads well: one short traceback (no urllib3 chain) whose last line
says what to do, in a plain Python process and in IPython (what a notebook shows)."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from invokekit.api import Queue, Transport
from invokekit.client import Client
from invokekit.errors import ServerUnavailable

NOWHERE = "http://127.0.0.1:1"  # nothing listens on port 1
CODE = f"from invokekit import Client; Client({NOWHERE!r}).queue.status()"
ADVICE = f"Is InvokeAI running at {NOWHERE}? Set --url or INVOKEAI_URL."


def traceback_of(output: str) -> list[str]:
    """The lines from the traceback's header on (retry warnings may come before it)."""
    lines = output.rstrip().splitlines()
    start = next(i for i, line in enumerate(lines) if "Traceback" in line)
    return lines[start:]


def assert_short(lines: list[str], max_lines: int) -> None:
    text = "\n".join(lines)
    assert "urllib3" not in text and "During handling" not in text and "direct cause" not in text, text
    assert "requests/" not in text and "ConnectionRefusedError" not in text, text
    assert len(lines) <= max_lines, text
    assert lines[-1].endswith(ADVICE), lines[-1]
    assert "ServerUnavailable" in lines[-1] and "Connection refused" in lines[-1]


def test_a_script_ends_in_a_short_traceback_that_says_what_to_do() -> None:
    done = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert_short(traceback_of(done.stderr), max_lines=16)


def test_ipython_shows_the_same_short_traceback() -> None:
    pytest.importorskip("IPython")  # the kernel of every notebook; in the dev environment
    command = [sys.executable, "-m", "IPython", "--colors=NoColor", "--no-banner", "-c", CODE]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert_short(traceback_of(done.stdout), max_lines=40)  # IPython prints tracebacks to stdout


def test_the_low_level_error_is_kept_as_cause() -> None:
    with pytest.raises(ServerUnavailable) as info:
        Queue(Transport(NOWHERE, retries=0)).status()
    err = info.value
    assert isinstance(err.cause, requests.ConnectionError)
    assert err.__cause__ is None and err.__suppress_context__  # shown without the chain
    assert err.url == f"{NOWHERE}/api/v1/queue/default/status"
    assert str(err).endswith(ADVICE)


def test_the_advice_names_the_client_url() -> None:
    with Client("http://127.0.0.1:1/", timeout=2) as client, pytest.raises(ServerUnavailable, match="running at"):
        client.boards.list()
