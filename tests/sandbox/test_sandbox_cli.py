"""``invokekit sandbox`` on the command line, as a user (or CI script) runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from invokekit.sandbox import Sandbox


@pytest.mark.server
def test_status_json_prints_the_running_sandbox(invokeai_sandbox: Sandbox) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "invokekit", "sandbox", "status", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(json.dumps(invokeai_sandbox.info()))


def test_status_of_a_sandbox_that_is_not_running_exits_1(tmp_path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "invokekit",
            "sandbox",
            "status",
            "--json",
            "--name",
            "never-started",
            "--cache-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert json.loads(done.stdout) is None
