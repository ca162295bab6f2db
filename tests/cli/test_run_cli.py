"""`invokekit run` and `invokekit resume` against the real sandbox server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from _faultproxy import FaultProxy, Rules
from PIL import Image

from invokekit.cli import main
from invokekit.client import Client
from invokekit.results import Journal, read_journal

SDXL = "Text to Image - SDXL"


def tiny_sdxl_args(sandbox, out: Path, *extra: str) -> list[str]:
    return [
        "run", SDXL, "--url", sandbox.url, "--db", str(sandbox.db_path), "--out", str(out), "--json",
        "--model", "tiny-sdxl", "--set", "vae=tiny-sdxl-vae", "--set", "positive_prompt=a lighthouse",
        "--set", "width=128", "--set", "height=192", "--set", "steps=2", *extra,
    ]  # fmt: skip


def run_json(capsys, argv: list[str]) -> tuple[int, dict]:
    status = main(argv)
    out = capsys.readouterr().out
    return status, json.loads(out)


@pytest.mark.server
@pytest.mark.parametrize("monitor", ["api", "db", "events"])
def test_run_the_shipped_sdxl_workflow_with_each_monitor(invokeai_sandbox, tmp_path, capsys, monitor) -> None:
    status, report = run_json(capsys, tiny_sdxl_args(invokeai_sandbox, tmp_path, "--monitor", monitor))
    assert status == 0
    [item] = report["items"]
    assert item["status"] == "completed"
    [image] = item["images"]
    assert (image["width"], image["height"]) == (128, 192)
    with Image.open(image["path"]) as img:
        assert img.format == "PNG" and img.size == (128, 192)
    assert Path(image["path"]).parent == tmp_path
    assert {"load", "convert", "submit", "wait", "download"} <= set(report["timings"]["client"])
    [entry] = read_journal(tmp_path / "invokekit-journal.jsonl")
    assert entry.batch_id == report["batch_id"] and entry.downloads_done


@pytest.mark.server
def test_a_sweep_of_seeds_gives_distinct_images(invokeai_sandbox, tmp_path, capsys) -> None:
    status, report = run_json(capsys, tiny_sdxl_args(invokeai_sandbox, tmp_path, "--sweep", "seed=1,2,3,4"))
    assert status == 0 and len(report["items"]) == 4
    paths = [Path(i["images"][0]["path"]) for i in report["items"]]
    assert len({p.read_bytes() for p in paths}) == 4


@pytest.mark.server
def test_unknown_parameter_is_refused_before_anything_is_sent(invokeai_sandbox, tmp_path, capsys) -> None:
    status = main(tiny_sdxl_args(invokeai_sandbox, tmp_path, "--set", "no_such_thing=3"))
    assert status == 2
    assert "no_such_thing" in capsys.readouterr().err
    assert not (tmp_path / "invokekit-journal.jsonl").exists()


@pytest.mark.server
def test_incomplete_workflow_fails_preflight_with_nothing_sent(invokeai_sandbox, tmp_path, capsys) -> None:
    status = main(["run", SDXL, "--url", invokeai_sandbox.url, "--out", str(tmp_path), "--set", "vae=tiny-sdxl-vae"])
    assert status == 2
    assert "model" in capsys.readouterr().err.lower()
    assert not (tmp_path / "invokekit-journal.jsonl").exists()


FAILING_GRAPH = {
    "nodes": {"blur": {"id": "blur", "type": "img_blur", "image": {"image_name": "missing.png"}, "use_cache": False}},
    "edges": [],
}


@pytest.mark.server
def test_a_failed_item_makes_the_exit_status_non_zero(invokeai_sandbox, tmp_path, capsys) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps(FAILING_GRAPH))
    status, report = run_json(
        capsys, ["run", str(graph), "--url", invokeai_sandbox.url, "--out", str(tmp_path / "o"), "--json"]
    )
    assert status == 1
    [item] = report["items"]
    assert item["status"] == "failed" and item["images"] == [] and "not found" in item["error_message"].lower()


SUBMIT_AND_DIE = """
import os, signal, sys
from invokekit.client import Client
graph = {
    "nodes": {
        "blank": {"id": "blank", "type": "blank_image", "width": 16, "height": 16, "is_intermediate": True},
        "resize": {"id": "resize", "type": "img_resize", "width": 27, "height": 19, "use_cache": False},
    },
    "edges": [{"source": {"node_id": "blank", "field": "image"},
               "destination": {"node_id": "resize", "field": "image"}}],
}
Client(sys.argv[1]).submit(graph, runs=2, journal=sys.argv[2])
os.kill(os.getpid(), signal.SIGKILL)  # the kernel dies between submit and download
"""


@pytest.mark.server
def test_resume_after_the_process_died_between_submit_and_download(invokeai_sandbox, tmp_path, capsys) -> None:
    journal = tmp_path / "out" / "invokekit-journal.jsonl"
    died = subprocess.run([sys.executable, "-c", textwrap.dedent(SUBMIT_AND_DIE), invokeai_sandbox.url, str(journal)])
    assert died.returncode == -9
    [entry] = read_journal(journal)
    assert len(entry.item_ids or []) == 2 and not entry.downloads_done

    status, report = run_json(capsys, ["resume", str(journal), "--monitor", "api", "--json"])
    assert status == 0 and report["batch_id"] == entry.batch_id
    paths = [Path(i["images"][0]["path"]) for i in report["items"]]
    assert [p.parent for p in paths] == [journal.parent] * 2
    assert all(Image.open(p).size == (27, 19) for p in paths)
    [entry] = read_journal(journal)
    assert entry.downloads_done and set(entry.downloaded) == {i["images"][0]["image_name"] for i in report["items"]}
    assert set(entry.downloaded.values()) == {str(p) for p in paths}

    assert main(["resume", str(journal)]) == 0  # nothing left to do
    assert "nothing to resume" in capsys.readouterr().out


@pytest.mark.server
def test_resume_recovers_items_when_the_process_died_during_the_post(client: Client, tmp_path, capsys) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    batch = {"batch_id": str(uuid.uuid4()), "graph": json.loads(json.dumps(FAILING_GRAPH)), "runs": 1}
    journal.submitted(batch["batch_id"], url=client.url, queue_id="default", output_nodes=None, labels={})
    client.transport.post_json("/api/v1/queue/default/enqueue_batch", {"batch": batch})  # its answer "lost"
    status, report = run_json(capsys, ["resume", str(journal.path), "--monitor", "api", "--json"])
    assert status == 1 and report["batch_id"] == batch["batch_id"]
    assert [i["status"] for i in report["items"]] == ["failed"]


@pytest.mark.server
def test_run_a_workflow_file_with_text_output(invokeai_sandbox, tmp_path, capsys) -> None:
    fixture = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "workflows" / "default"
    argv = tiny_sdxl_args(invokeai_sandbox, tmp_path, "--monitor", "auto")
    argv[1] = str(fixture / "Text to Image - SDXL.json")
    argv.remove("--json")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "completed" in out and "(128x192)" in out and "total" in out and "server run" in out
    [png] = tmp_path.glob("*.png")
    assert Image.open(png).size == (128, 192)


@pytest.mark.server
def test_run_converts_once_and_uses_a_board_made_a_moment_ago(
    client: Client, invokeai_sandbox, tmp_path, capsys, monkeypatch
) -> None:
    from invokekit.workflow import _convert

    conversions: list[int] = []
    real = _convert.Converter.graph

    def counted(self: _convert.Converter) -> dict:
        conversions.append(1)
        return real(self)

    monkeypatch.setattr(_convert.Converter, "graph", counted)
    board = client.boards.create(f"invokekit-cli-{uuid.uuid4().hex[:8]}")
    try:
        argv = tiny_sdxl_args(invokeai_sandbox, tmp_path, "--monitor", "api", "--board", board["board_name"])
        status, report = run_json(capsys, argv)
        assert status == 0 and conversions == [1]  # checked and submitted from one conversion
        [item] = report["items"]
        image_name = item["images"][0]["image_name"]
        assert client.images.dto(image_name)["board_id"] == board["board_id"]
    finally:
        client.boards.delete(board["board_id"], include_images=True)


@pytest.mark.server
def test_a_raw_graph_takes_sets_and_typed_sweeps_by_node_id(invokeai_sandbox, tmp_path, capsys) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps({
        "nodes": {"blank": {"id": "blank", "type": "blank_image", "width": 16, "height": 16, "is_intermediate": True},
                  "resize": {"id": "resize", "type": "img_resize", "width": 8, "height": 8, "use_cache": False}},
        "edges": [{"source": {"node_id": "blank", "field": "image"},
                   "destination": {"node_id": "resize", "field": "image"}}],
    }))
    base = ["run", str(graph), "--url", invokeai_sandbox.url, "--out", str(tmp_path / "o"), "--monitor", "api"]
    status, report = run_json(capsys, [*base, "--json", "--set", "resize.height=20", "--sweep", "resize.width=33,34"])
    assert status == 0
    sizes = sorted((i["images"][0]["width"], i["images"][0]["height"]) for i in report["items"])
    assert sizes == [(33, 20), (34, 20)]
    assert main([*base, "--model", "tiny-sdxl"]) == 2
    assert "node_id.field" in capsys.readouterr().err


class _Stamped:
    """A text stream that notes when each line was written (the wall clock, as the server's)."""

    def __init__(self, inner) -> None:
        self.inner, self.lines = inner, []

    def write(self, text: str) -> int:
        self.lines += [(time.time(), line) for line in text.splitlines() if line.strip()]
        return self.inner.write(text)

    def flush(self) -> None:
        self.inner.flush()


@pytest.mark.server
def test_a_sweep_prints_and_saves_each_item_as_it_finishes(invokeai_sandbox, tmp_path, capsys, monkeypatch) -> None:
    """16 seeds: each item's line comes as it finishes, and its PNG is on disk before later items end."""
    from invokekit.results import parse_server_time

    seeds = ",".join(str(s) for s in range(100, 116))
    args = ["run", SDXL, "--url", invokeai_sandbox.url, "--out", str(tmp_path), "--json", "--model", "tiny-sdxl",
            "--set", "vae=tiny-sdxl-vae", "--set", "width=64", "--set", "height=64", "--set", "steps=1",
            "--sweep", f"seed={seeds}"]  # fmt: skip
    stamped = _Stamped(sys.stderr)
    monkeypatch.setattr(sys, "stderr", stamped)
    status = main(args)
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert status == 0 and len(report["items"]) == 16
    lines = [line for line in captured.err.splitlines() if " done" in line]
    printed = {int(line.split("item ")[1].split()[0]): at for at, line in stamped.lines if " done" in line}
    assert [line.split(":", 1)[0].split(",")[0] for line in lines] == [f"{n}/16 done" for n in range(1, 17)]
    assert "ETA" in lines[0] and "ETA" not in lines[-1]
    items = {i["item_id"]: i for i in report["items"]}
    with Client(invokeai_sandbox.url) as client:
        served = client.queue.items(list(items))
    completed = {int(it["item_id"]): parse_server_time(it["completed_at"]) for it in served}
    order = sorted(completed, key=completed.__getitem__)
    assert [int(line.split("item ")[1].split()[0]) for line in lines] == order  # printed in completion order
    for earlier, later in zip(order, order[2:], strict=False):
        png = Path(items[earlier]["images"][0]["path"])
        assert png.stat().st_mtime < completed[later], f"item {earlier}'s PNG came after item {later} finished"
        assert printed[earlier] < completed[later], f"item {earlier}'s line came after item {later} finished"


@pytest.mark.server
def test_a_monitor_fallback_is_one_warning_line_without_source(invokeai_sandbox, tmp_path) -> None:
    graph = tmp_path / "graph.json"
    graph.write_text(json.dumps({"nodes": {"n": {"id": "n", "type": "integer", "value": 3, "use_cache": False}}}))
    no_socket = Rules(answer=lambda m, p: p.startswith("/ws/socket.io"), answer_times=100, answer_status=404)
    root = Path(__file__).resolve().parents[2]
    with FaultProxy(invokeai_sandbox.url, no_socket) as proxy:
        argv = [sys.executable, "-m", "invokekit", "run", str(graph), "--url", proxy.url, "--monitor", "events"]
        env = {**os.environ, "PYTHONPATH": str(root)}
        done = subprocess.run(
            [*argv, "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=300, cwd=root, env=env
        )
    assert done.returncode == 0, done.stderr
    told = [line for line in done.stderr.splitlines() if "falling back" in line]
    assert len(told) == 1 and told[0].startswith("invokekit: warning: events monitor: cannot connect"), done.stderr
    assert ".py:" not in done.stderr and "warnings.warn" not in done.stderr
