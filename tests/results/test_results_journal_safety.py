"""The journal is line-safe (a record after a cut line is kept), remembers the outputs of finished
items and the checksums of stored files, and a journal that cannot be read is a JournalError
naming it, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from invokekit.errors import JournalError
from invokekit.results import ImageRef, ItemResult, Journal, read_journal


def test_a_record_appended_after_a_cut_last_line_is_not_lost(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    journal = Journal(path)
    journal.submitted("b1", url="http://x", queue_id="default", output_nodes=None, labels={})
    with open(path, "a") as fh:
        fh.write('{"event": "enqueued", "batch_id": "b1", "item_i')  # a crash (or a full disk) mid-write
    journal.enqueued("b1", [7, 8])  # the next run appends to the same journal
    [entry] = read_journal(path)
    assert entry.item_ids == [7, 8]
    lines = path.read_text().splitlines()
    assert lines[1].endswith('"item_i') and lines[2].startswith('{"event":"enqueued"')


def test_each_record_is_one_line_ending_the_file(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    for n in range(3):
        journal.statuses("b", {n: "completed"})
    text = journal.path.read_bytes()
    assert text.endswith(b"\n") and text.count(b"\n") == 3 and b"\n\n" not in text


def test_outputs_of_finished_items_rebuild_the_results_without_the_server(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.submitted("b", url="http://x", queue_id="default", output_nodes=["save"], labels={"save": "Output"})
    journal.enqueued("b", [1, 2])
    assert read_journal(journal.path)[0].results() is None  # nothing known yet
    done = ItemResult(item_id=1, status="completed", images=[ImageRef("save", "Output", "one.png")])
    failed = ItemResult(item_id=2, status="failed", error_type="RuntimeError", error_message="boom")
    journal.outputs("b", [done, failed])
    [entry] = read_journal(journal.path)
    assert entry.statuses == {1: "completed", 2: "failed"} and entry.terminal
    one, two = entry.results() or []
    assert (one.item_id, one.status, [(i.node_id, i.node_label, i.image_name) for i in one.images]) == (
        1,
        "completed",
        [("save", "Output", "one.png")],
    )
    assert (two.status, two.error_type, two.error_message, two.images) == ("failed", "RuntimeError", "boom", [])


def test_a_stored_file_is_recorded_with_its_checksum(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    image.write_bytes(b"\x89PNG pretend")
    journal = Journal(tmp_path / "j.jsonl")
    journal.downloaded("b", 1, "a.png", image, width=4, height=3)
    [entry] = read_journal(journal.path)
    stored = entry.stored["a.png"]
    assert (stored.size, stored.width, stored.height) == (len(b"\x89PNG pretend"), 4, 3) and stored.intact()
    image.write_bytes(b"\x89PNG changed!")  # same size, other bytes
    assert not stored.intact()
    image.unlink()
    assert not stored.intact()


def test_a_password_in_the_url_is_never_journaled(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.submitted("b", url="http://ann:s3cr3t@127.0.0.1:9090", queue_id="default", output_nodes=None, labels={})
    assert "s3cr3t" not in journal.path.read_text()
    assert read_journal(journal.path)[0].url == "http://127.0.0.1:9090"


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (None, "no such file"),
        (bytes(range(256)) * 4, "not an invokekit run journal"),
        (b"just some text\nnot json either\n", "not an invokekit run journal"),
        (b'{"some": "json"}\n[1, 2]\n', "not an invokekit run journal"),
        (b'{"event": "enqueued", "batch_id": "b", "item_ids": ["x"]}\n', "line 1"),
    ],
    ids=["missing", "binary", "text", "other json", "bad record"],
)
def test_an_unreadable_journal_is_a_journal_error_naming_the_file(tmp_path: Path, content, says: str) -> None:
    path = tmp_path / "j.jsonl"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(JournalError, match=says) as caught:
        read_journal(path)
    assert caught.value.path == str(path) and str(path) in str(caught.value)


def test_a_folder_or_an_empty_file(tmp_path: Path) -> None:
    with pytest.raises(JournalError, match="folder"):
        read_journal(tmp_path)
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert read_journal(empty) == []  # a journal nothing was written to yet: nothing to resume
