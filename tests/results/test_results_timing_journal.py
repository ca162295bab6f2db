"""Timings from server timestamps, and the append-only run journal folded back into batches."""

from __future__ import annotations

import json
from pathlib import Path

from invokekit.results import Journal, Timings, parse_server_time, read_journal


def test_server_times_are_utc() -> None:
    assert parse_server_time("1970-01-01 00:00:01.500") == 1.5
    assert parse_server_time("1970-01-01 00:01:00") == 60.0
    assert parse_server_time(None) is None and parse_server_time("garbage") is None


def test_item_timing_and_summary() -> None:
    timings = Timings()
    with timings.stage("submit"):
        pass
    with timings.stage("wait"):
        pass
    item = timings.record_item(
        7,
        created_at="2026-11-27 05:59:58.493",
        started_at="2026-11-27 05:59:58.496",
        completed_at="2026-11-27 05:59:59.020",
        seen_at=parse_server_time("2026-11-27 05:59:59.120"),
    )
    assert round(item.queued or 0, 3) == 0.003 and round(item.run or 0, 3) == 0.524
    assert round(item.detect_latency or 0, 3) == 0.1
    data = timings.as_dict()
    assert list(data["client"]) == ["submit", "wait"] and data["total"] is not None
    assert data["items"][0]["item_id"] == 7
    json.dumps(data)
    assert "server run" in timings.table()


def test_journal_folds_records_and_skips_a_cut_last_line(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.submitted("b1", url="http://x", queue_id="default", output_nodes=["l2i"], labels={"l2i": "Out"})
    journal.enqueued("b1", [3, 4])
    journal.submitted("b2", url="http://x", queue_id="q2", output_nodes=None, labels={})
    journal.statuses("b1", {3: "completed", 4: "failed"})
    journal.downloaded("b1", 3, "a.png", tmp_path / "a.png")
    journal.downloads_done("b1", tmp_path)
    with open(path, "a") as fh:
        fh.write('{"event": "enqueued", "batch_id": "b2", "item_i')  # a crash mid-write
    first, second = read_journal(path)
    assert first.batch_id == "b1" and first.item_ids == [3, 4] and first.labels == {"l2i": "Out"}
    assert first.statuses == {3: "completed", 4: "failed"} and first.terminal and first.downloads_done
    assert first.downloaded == {"a.png": str(tmp_path / "a.png")}
    assert second.batch_id == "b2" and second.item_ids is None and second.queue_id == "q2"
    assert not second.downloads_done and not second.terminal


def test_journal_remembers_where_images_go(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "elsewhere" / "j.jsonl", out_dir=tmp_path / "images")
    journal.submitted("b9", url="http://x", queue_id="default", output_nodes=None, labels={})
    [entry] = read_journal(journal.path)
    assert entry.out_dir == str(tmp_path / "images") and entry.item_ids is None
