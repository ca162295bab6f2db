"""`invokekit run --monitor db` without `--db`: the database is found and proven, or the run is refused
before anything is sent (real sandbox; a proxy process stands for a server whose database is elsewhere)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _proxies import PortProxy

from invokekit.cli import main
from invokekit.client import Client

SDXL = "Text to Image - SDXL"


def run_argv(url: str, out: Path) -> list[str]:
    return [
        "run", SDXL, "--url", url, "--monitor", "db", "--out", str(out), "--json",
        "--model", "tiny-sdxl", "--set", "vae=tiny-sdxl-vae", "--set", "width=64", "--set", "height=64",
        "--set", "steps=1",
    ]  # fmt: skip


@pytest.mark.server
def test_monitor_db_without_db_completes_watched_by_the_sandbox_database(invokeai_sandbox, tmp_path, capsys) -> None:
    status = main(run_argv(invokeai_sandbox.url, tmp_path))
    captured = capsys.readouterr()
    assert status == 0, captured.err
    [item] = json.loads(captured.out)["items"]
    assert item["status"] == "completed"
    progress = [line.strip() for line in captured.err.splitlines() if line.strip().startswith("item ")]
    assert progress and all(line.endswith("(db)") for line in progress)  # every status seen by the db monitor
    assert progress[-1] == f"item {item['item_id']}: completed (db)"


@pytest.mark.server
def test_monitor_db_for_a_server_whose_database_is_not_here_is_refused_before_submission(
    invokeai_sandbox, tmp_path, capsys
) -> None:
    with Client(invokeai_sandbox.url) as direct:
        before = direct.queue.item_ids()
        with PortProxy(invokeai_sandbox.url, cwd=tmp_path) as proxy:
            status = main(run_argv(proxy.url, tmp_path / "out"))
        after = direct.queue.item_ids()
    err = capsys.readouterr().err
    assert status == 2  # bad input, nothing enqueued
    assert f"cannot watch {proxy.url} through its database" in err and "--db PATH" in err
    assert after == before  # nothing was enqueued
    assert not (tmp_path / "out" / "invokekit-journal.jsonl").exists()
