"""The copy a pool job makes of a file delivered before a resume (into another download folder)."""

from __future__ import annotations

from pathlib import Path

from invokekit.pool._job import _copy


def test_a_delivered_file_is_copied_whole_and_an_existing_one_is_kept(tmp_path: Path) -> None:
    source = tmp_path / "src" / "0-l2i-seed=1.png"
    source.parent.mkdir()
    source.write_bytes(b"png bytes" * 1000)
    folder = tmp_path / "out"
    copied = _copy(source, folder)
    assert copied == folder / source.name and copied.read_bytes() == source.read_bytes()
    assert [p.name for p in folder.iterdir()] == [source.name]  # no temporary file left behind
    copied.write_bytes(b"kept")
    assert _copy(source, folder).read_bytes() == b"kept"  # a file already there is not replaced
