"""``Pool.resume`` (and ``invokekit resume``) of a pool journal after a real crash: the process
running the pool is killed mid-sweep; the resume finishes the run across both servers, fetching
and running again nothing that was delivered, and leaving one file per item."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from invokekit.cli import main
from invokekit.errors import JournalError
from invokekit.pool import Pool

WIDTHS = list(range(30, 44))
CHILD = textwrap.dedent("""
    import json, sys
    from invokekit.pool import Pool
    graph = {"nodes": {"blank": {"id": "blank", "type": "blank_image", "width": 16, "height": 16,
                                 "is_intermediate": True},
                       "resize": {"id": "resize", "type": "img_resize", "width": 40, "height": 24,
                                  "use_cache": False}},
             "edges": [{"source": {"node_id": "blank", "field": "image"},
                        "destination": {"node_id": "resize", "field": "image"}}]}
    urls, out, widths = sys.argv[1].split(","), sys.argv[2], json.loads(sys.argv[3])
    with Pool(urls) as pool:
        job = pool.submit(graph, sweep={"resize.width": widths}, out_dir=out, journal=out + "/journal.jsonl")
        for r in job.as_completed():
            print("delivered", flush=True)
""")


def crashed_run(servers: list[str], out: Path, after: int) -> dict[str, str]:
    """Run a pool in a child process and SIGKILL it once ``after`` items were delivered; the files
    it left, by name, with their checksums."""
    out.mkdir()
    argv = [sys.executable, "-c", CHILD, ",".join(servers), str(out), json.dumps(WIDTHS)]
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    for n, _line in enumerate(child.stdout, 1):
        if n == after:
            break
    child.kill()
    child.wait()
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.glob("*.png")}


def check_finished(out: Path, before: dict[str, str]) -> None:
    pngs = sorted(out.glob("*.png"))
    assert sorted(int(p.name.split("-")[0]) for p in pngs) == list(range(len(WIDTHS)))  # one file per item
    for name, digest in before.items():  # what was delivered before the crash is untouched
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest


@pytest.mark.server
@pytest.mark.timeout(240)
def test_resume_of_a_crashed_pool_run_finishes_it_across_both_servers(servers: list[str], tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = crashed_run(servers, out, after=4)
    assert 4 <= len(before) < len(WIDTHS)
    journal = out / "journal.jsonl"
    with Pool.of_journal(journal) as pool:
        assert [c.url for c in pool.clients] == servers
        job = pool.resume(journal)
        results = job.result(timeout=180)
    assert [r.values["resize.width"] for r in results] == WIDTHS
    assert [r.images[0].width for r in results] == WIDTHS
    assert set(servers) >= {r.server for r in results}
    for name in before:  # delivered before the crash: taken from the journal, not run again
        result = results[int(name.split("-")[0])]
        assert result.images[0].path is not None and result.images[0].path.name == name
    check_finished(out, before)
    # the journal records each chunk: its server, batch id and sweep indices
    chunks = [json.loads(line) for line in journal.read_text().splitlines() if '"pool_chunk"' in line]
    assert chunks and all(c["url"] in servers and c["indices"] for c in chunks)
    assert {i for c in chunks for i in c["indices"]} == set(range(len(WIDTHS)))


@pytest.mark.server
@pytest.mark.timeout(240)
def test_invokekit_resume_finishes_a_pool_journal(servers: list[str], tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    before = crashed_run(servers, out, after=3)
    assert main(["resume", str(out / "journal.jsonl")]) == 0
    printed = capsys.readouterr().out
    assert "resuming the pool run" in printed and "makespan" in printed
    assert all(url in printed for url in servers)  # the per-server timing table
    check_finished(out, before)
    assert main(["resume", str(out / "journal.jsonl")]) == 0  # again: everything is delivered, nothing runs
    assert f"{len(WIDTHS)}/{len(WIDTHS)} done" in capsys.readouterr().out
    check_finished(out, before)


def test_resume_refuses_a_journal_that_is_not_a_pool_run(tmp_path: Path) -> None:
    plain = tmp_path / "j.jsonl"
    plain.write_text(json.dumps({"event": "submit", "batch_id": "b", "url": "http://127.0.0.1:9"}) + "\n")
    with pytest.raises(JournalError, match="not a pool journal"):
        Pool.of_journal(plain)
