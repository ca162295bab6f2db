"""Private copies of a server's database for the tests (``from _dbcopy import copy_database``).

The server's own file is only ever read, through a read-only connection; the copy is ours to
change, break or leave stale."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_database(src: Path, dst: Path, *, rollback_journal: bool = False) -> Path:
    """A snapshot of ``src`` as it is now, written to ``dst`` (its folder made if missing).

    ``rollback_journal`` turns the copy out of WAL mode, so that it is one self-contained file."""
    dst.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"{src.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(dst)
    try:
        source.backup(target)
        if rollback_journal:
            target.execute("PRAGMA journal_mode = DELETE")
    finally:
        source.close()
        target.close()
    return dst
