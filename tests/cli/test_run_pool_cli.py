"""``invokekit run --url A --url B`` / ``--servers FILE``: a pool run from the command line, on two
real sandboxes; per-item lines name the server, a per-server timing table ends the output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _graphs import blank_resize

from invokekit.cli import main
from invokekit.sandbox import Sandbox


@pytest.mark.server
@pytest.mark.timeout(180)
def test_run_with_two_urls_spreads_the_sweep_and_prints_the_servers(invokeai_sandbox: Sandbox, second_sandbox: Sandbox,
                                                                     tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(blank_resize()))
    out = tmp_path / "out"
    argv = ["run", str(graph), "--url", invokeai_sandbox.url, "--url", second_sandbox.url,
            "--sweep", "resize.width=30-37", "--out", str(out)]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    done = [line for line in printed.splitlines() if " done" in line and " on http" in line]
    assert len(done) == 8 and "8/8 done" in done[-1]
    assert {line.rsplit(" on ", 1)[1].split(" ->")[0] for line in done} == {invokeai_sandbox.url, second_sandbox.url}
    table = printed[printed.index("server "):]
    assert invokeai_sandbox.url in table and second_sandbox.url in table and "makespan" in table
    assert sorted(int(p.name.split("-")[0]) for p in out.glob("*.png")) == list(range(8))
    assert (out / "invokekit-journal.jsonl").is_file()


@pytest.mark.server
@pytest.mark.timeout(180)
def test_run_with_a_servers_file_prints_json(invokeai_sandbox: Sandbox, second_sandbox: Sandbox, tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    servers = tmp_path / "servers.txt"
    servers.write_text(f"# two sandboxes\n{invokeai_sandbox.url}\n{second_sandbox.url}\n")
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(blank_resize()))
    argv = ["run", str(graph), "--servers", str(servers), "--sweep", "resize.width=30,31,32,33", "--json",
            "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    payload = json.loads(capsys.readouterr().out)
    assert [item["index"] for item in payload["items"]] == [0, 1, 2, 3]
    assert [item["values"]["resize.width"] for item in payload["items"]] == [30, 31, 32, 33]
    assert {item["server"] for item in payload["items"]} <= {invokeai_sandbox.url, second_sandbox.url}
    assert set(payload["timings"]["servers"]) == {invokeai_sandbox.url, second_sandbox.url}
    assert sum(s["items"] for s in payload["timings"]["servers"].values()) == 4


def test_a_pool_run_refuses_a_grid_and_resume_takes_one_url(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(blank_resize()))
    assert main(["run", str(graph), "--url", "http://127.0.0.1:9", "--url", "http://127.0.0.1:8", "--grid", "x=a"]) != 0
    assert "--grid is for one server" in capsys.readouterr().err
    journal = tmp_path / "j.jsonl"
    journal.write_text(json.dumps({"event": "submit", "batch_id": "b", "url": "http://127.0.0.1:9"}) + "\n")
    assert main(["resume", str(journal), "--url", "http://127.0.0.1:9", "--url", "http://127.0.0.1:8"]) != 0
    assert "one --url" in capsys.readouterr().err
