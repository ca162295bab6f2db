"""Proving that a database is the server's: its queue against the real server's API.

Databases other than the server's are built here in ``tmp_path`` (copies or hand-made files); the
server's own database is only ever opened read-only."""

from __future__ import annotations

import sqlite3
import time
import uuid
from pathlib import Path

import pytest
from _dbcopy import copy_database

from invokekit.api import Queue
from invokekit.client import Transport
from invokekit.monitors._dbfile import REQUIRED_COLUMNS, prove_database

pytestmark = pytest.mark.server


def _idle_status(queue: Queue) -> dict:
    """The queue's counts once nothing is pending or running (the items of these tests take ms)."""
    deadline = time.monotonic() + 60
    while True:
        status = queue.status()["queue"]
        if status["pending"] == status["in_progress"] == 0 or time.monotonic() > deadline:
            return status
        time.sleep(0.1)


@pytest.fixture
def queue(transport: Transport) -> Queue:
    return Queue(transport)


def test_the_servers_own_database_is_proven(ik_server, queue: Queue, jobs) -> None:
    proof = prove_database(ik_server.db_path, queue)
    assert proof.verdict in ("proven", "unproven"), proof.reason  # unproven only while the queue moves
    _idle_status(queue)
    proof = prove_database(ik_server.db_path, queue)
    assert proof.verdict == "proven" and proof.usable, proof.reason
    assert "matches the server's" in proof.reason


def test_a_copy_older_than_the_queue_is_refused(ik_server, queue: Queue, enqueue, tmp_path: Path) -> None:
    copy = copy_database(ik_server.db_path, tmp_path / "invokeai.db")
    enqueue()
    proof = prove_database(copy, queue, server="the sandbox")
    assert proof.verdict == "refused" and not proof.usable
    assert "differs from that of the sandbox" in proof.reason and "another server's database" in proof.reason


def test_the_same_counts_with_another_newest_batch_are_refused(queue: Queue, enqueue, tmp_path: Path) -> None:
    enqueue()
    status = _idle_status(queue)
    columns = (*REQUIRED_COLUMNS, "queue_id")
    path = tmp_path / "invokeai.db"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(f"CREATE TABLE session_queue ({', '.join(columns)})")
        item_id = 0
        for state in ("pending", "in_progress", "waiting", "completed", "failed", "canceled"):
            for _ in range(int(status.get(state) or 0)):
                item_id += 1
                row = {"item_id": item_id, "status": state, "batch_id": str(uuid.uuid4()), "queue_id": "default"}
                conn.execute(f"INSERT INTO session_queue VALUES ({', '.join('?' * len(columns))})",
                             [row.get(c) for c in columns])  # fmt: skip
    conn.close()
    proof = prove_database(path, queue)
    assert proof.verdict == "refused", proof.reason
    assert "newest queue item" in proof.reason and "another server's database" in proof.reason


def test_files_that_are_not_an_invokeai_database_are_refused(queue: Queue, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database\n" * 100)
    sqlite3.connect(tmp_path / "other.db").execute("CREATE TABLE things (x)").connection.close()
    reasons = {name: prove_database(tmp_path / name, queue) for name in ("missing.db", "notes.txt", "other.db")}
    assert all(p.verdict == "refused" for p in reasons.values())
    assert reasons["missing.db"].reason == "the database file does not exist"
    assert "cannot read it" in reasons["notes.txt"].reason
    assert "no session_queue table" in reasons["other.db"].reason


def test_a_database_no_server_has_open_gets_no_files_beside_it(ik_server, queue: Queue, jobs, tmp_path: Path) -> None:
    # a database closed cleanly (as a stopped server leaves it, or a copy): no -wal, no -shm. A
    # read-only reader must not create them: the folder may be another user's (issue 16, point 13)
    from invokekit.monitors._db import DbMonitor
    from invokekit.monitors._dbfile import open_queue_db

    _idle_status(queue)
    copy = copy_database(ik_server.db_path, tmp_path / "invokeai.db")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invokeai.db"]
    conn, _, _ = open_queue_db(copy, check_only=True)
    try:
        assert conn.execute("SELECT count(*) FROM session_queue").fetchone()[0] > 0
    finally:
        conn.close()
    prove_database(copy, queue)
    DbMonitor(copy)  # checked before any watch
    assert sorted(p.name for p in tmp_path.iterdir()) == ["invokeai.db"]
    # the live server's database (open, so with its -wal) is still read as it changes
    assert prove_database(ik_server.db_path, queue).usable
