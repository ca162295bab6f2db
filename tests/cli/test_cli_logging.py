"""The CLI shows the library's log records on stderr: warnings always, INFO notes with ``-v``;
one line each (``invokekit: warning: ...``), and the process's logging is left as it was."""

from __future__ import annotations

import json
import logging
import socket
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from wfbuild import REFERENCE, edge, sdxl_v1_text_to_image

from invokekit.cli import EXIT_FAILED, main

SCHEMA = str(REFERENCE / "openapi.json")


@pytest.fixture
def old_workflow(tmp_path: Path) -> Path:
    """A schema-1 workflow (migrating it is an INFO note) with an edge to a missing input (a WARNING)."""
    raw = sdxl_v1_text_to_image()
    model, l2i = raw["nodes"][0]["id"], raw["nodes"][5]["id"]
    raw["edges"].append(edge(model, "vae", l2i, "vea"))
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def _lines(err: str, prefix: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith(prefix)]


def test_warnings_are_shown_and_info_notes_only_with_verbose(old_workflow: Path, capsys) -> None:
    handlers = list(logging.getLogger("invokekit").handlers)
    assert main(["load-report", str(old_workflow), "--schema", SCHEMA]) == 0
    err = capsys.readouterr().err
    [dropped] = _lines(err, "invokekit: warning: ")
    assert "old.json" in dropped and "Deleted invalid edge" in dropped and ".vea does not exist" in dropped
    assert _lines(err, "invokekit: info: ") == []
    assert logging.getLogger("invokekit").handlers == handlers  # the CLI's handler is gone again

    for argv in (["-v", "load-report", str(old_workflow)], ["load-report", str(old_workflow), "--verbose"]):
        assert main(argv) == 0
        info = _lines(capsys.readouterr().err, "invokekit: info: ")
        assert any("old.json: schema 1.0.0 -> 2.0.0" in line for line in info), info
    assert logging.getLogger("invokekit").level == logging.NOTSET


def test_a_retried_request_is_one_warning_line_each(old_workflow: Path, capsys) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once the socket is closed
    assert main(["load-report", str(old_workflow), "--url", f"http://user:s3cr3t@127.0.0.1:{port}"]) == EXIT_FAILED
    err = capsys.readouterr().err
    retries = _lines(err, "invokekit: warning: GET /api/")
    assert len(retries) == 2 and all("retrying in" in line for line in retries), err
    assert _lines(err, "invokekit: error: ") != [] and "s3cr3t" not in err
