"""The SQLite backend: read-only for sure, and every way a DB can be unusable ends in a clear
MonitorError (and, through ``make_monitor``/``auto``, in a fallback to the API with a warning).

Databases other than the server's are built here in ``tmp_path`` (copies or hand-made files); the
server's own database is only ever opened read-only."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest
from _dbcopy import copy_database

from invokekit.client import Transport
from invokekit.errors import MonitorError, ServerUnavailable
from invokekit.monitors import AutoMonitor, DbMonitor, MonitorFallbackWarning, StatusUpdate, make_monitor
from invokekit.monitors._dbfile import REQUIRED_COLUMNS

pytestmark = pytest.mark.server


def _make_db(path: Path, columns: tuple[str, ...] = REQUIRED_COLUMNS, rows: list[tuple] = ()) -> Path:
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(f"CREATE TABLE session_queue ({', '.join(columns)})")
        for row in rows:
            conn.execute(f"INSERT INTO session_queue VALUES ({', '.join('?' * len(row))})", row)
    conn.close()
    return path


def test_the_connection_cannot_write(ik_server, transport, jobs):
    monitor = DbMonitor(ik_server.db_path, transport)
    conn = monitor.connect()
    try:
        item = jobs.completed[0]
        for sql in (
            f"UPDATE session_queue SET status = 'failed' WHERE item_id = {item}",
            "DELETE FROM session_queue WHERE item_id = -1",
            "CREATE TABLE invokekit_probe (x)",
        ):
            with pytest.raises(sqlite3.OperationalError, match=r"readonly|read-only|query_only"):
                conn.execute(sql)
        conn.execute("PRAGMA query_only = 0")  # even then, the ro URI refuses writes
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            conn.execute("CREATE TABLE invokekit_probe (x)")
        assert conn.execute("PRAGMA query_only").fetchone() == (0,)
    finally:
        conn.close()
    with DbMonitor(ik_server.db_path, transport) as again:  # and the data was not touched
        assert again.watch([jobs.completed[0]], timeout=60)[jobs.completed[0]].status == "completed"


def test_missing_file_is_a_clear_error(tmp_path, transport):
    missing = tmp_path / "databases" / "invokeai.db"
    with pytest.raises(MonitorError, match="does not exist") as err:
        DbMonitor(missing, transport)
    assert str(missing) in str(err.value) and err.value.backend == "db"


def test_missing_db_falls_back_to_the_api_with_a_warning(tmp_path, transport, jobs):
    monitor = make_monitor("db", transport, db_path=tmp_path / "invokeai.db")
    with pytest.warns(MonitorFallbackWarning, match="does not exist.*falling back to the api"):
        final = monitor.watch(jobs.all, timeout=60)
    assert {i: u.status for i, u in final.items()} == jobs.expected()
    assert monitor.used == ["api"]


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        (("item_id", "status", "batch_id"), "lacks column.*error_type"),
        (None, "no session_queue table"),
    ],
)
def test_a_database_of_another_shape_is_refused(tmp_path, transport, columns, message):
    path = tmp_path / "other.db"
    if columns is None:
        sqlite3.connect(path).execute("CREATE TABLE something_else (x)").connection.close()
    else:
        _make_db(path, columns)
    with pytest.raises(MonitorError, match=message):
        DbMonitor(path, transport)


def test_a_file_that_is_not_a_database_is_refused(tmp_path, transport):
    path = tmp_path / "invokeai.db"
    path.write_bytes(b"this is not SQLite" * 100)
    with pytest.raises(MonitorError, match="cannot read it"):
        DbMonitor(path, transport)


def test_a_locked_database_is_a_clear_error(tmp_path, transport):
    path = _make_db(tmp_path / "locked.db")
    monitor = DbMonitor(path, transport, lock_patience=0.2)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(MonitorError, match="locked"):
            monitor.watch([1], timeout=30)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_database_of_another_server_is_detected(tmp_path, transport, jobs):
    """Same item ids, other batches: the rows are someone else's, whatever their status."""
    rows = [
        (i, "completed", None, None, None, "2026-01-01 00:00:00.000", None, None, f"other-{i}", f"s-{i}")
        for i in jobs.all
    ]
    path = _make_db(tmp_path / "other-server.db", rows=rows)
    with DbMonitor(path, transport) as monitor, pytest.raises(MonitorError, match="another server"):
        monitor.watch(jobs.all, timeout=30)
    empty = _make_db(tmp_path / "empty.db")
    with DbMonitor(empty, transport) as monitor, pytest.raises(MonitorError, match=r"not in the database.*has them"):
        monitor.watch(jobs.all, timeout=30)


def test_items_missing_without_a_transport_become_an_error_after_the_grace(tmp_path):
    monitor = DbMonitor(_make_db(tmp_path / "empty.db"), missing_grace=0.1)
    with pytest.raises(MonitorError, match="not in the database"):
        monitor.watch([1, 2], timeout=30)


def test_db_breaking_mid_wait_hands_over_to_the_api_without_repeating_updates(tmp_path, ik_server, enqueue):
    """A snapshot of the DB shows the items pending; once the DB monitor has reported them, their
    rows vanish from the snapshot, the DB monitor gives up, and the API finishes the same watch."""
    ids = enqueue(runs=3)
    snapshot = copy_database(ik_server.db_path, tmp_path / "snapshot.db")
    transport = Transport(ik_server.url, timeout=10.0)
    updates: list[StatusUpdate] = []

    def on_update(update: StatusUpdate) -> None:
        updates.append(update)
        if len(updates) == 1:
            with sqlite3.connect(snapshot) as writer:  # our own copy, never the server's DB
                writer.execute(f"DELETE FROM session_queue WHERE item_id IN ({','.join(map(str, ids))})")

    monitor = AutoMonitor(transport, db_path=snapshot, order=("db", "api"))
    try:
        with pytest.warns(MonitorFallbackWarning, match="another server.*falling back to the api"):
            final = monitor.watch(ids, timeout=60, on_update=on_update)
    finally:
        transport.close()
    assert monitor.used == ["db", "api"]
    assert {u.status for u in final.values()} == {"completed"}
    assert updates[0].backend == "db" and updates[-1].backend == "api"
    for item in ids:
        statuses = [u.status for u in updates if u.item_id == item]
        assert len(statuses) == len(set(statuses)), statuses  # nothing emitted twice across the hand-over


def test_server_gone_mid_wait_ends_the_db_watch_with_an_error(tmp_path, ik_server, enqueue, proxy):
    """The snapshot keeps the items pending forever; only the heartbeat can tell the server died."""
    ids = enqueue()
    snapshot = copy_database(ik_server.db_path, tmp_path / "snapshot.db")
    transport = Transport(proxy.url, timeout=5.0, retries=1)
    try:
        with DbMonitor(snapshot, transport, heartbeat=0.2) as monitor, pytest.raises(ServerUnavailable):
            monitor.watch(ids, timeout=60, on_update=lambda _u: proxy.kill())
    finally:
        transport.close()


def test_a_database_locked_mid_wait_is_waited_for_then_an_error(tmp_path):
    """Locked for longer than ``lock_patience`` while watching: a MonitorError, not a hang."""
    stamp = "2026-01-01 00:00:00.000"
    path = _make_db(tmp_path / "q.db", rows=[(1, "pending", None, None, None, stamp, None, None, "b", "s")])
    holder = sqlite3.connect(path, isolation_level=None)

    def lock(_update: StatusUpdate) -> None:
        holder.execute("BEGIN EXCLUSIVE")

    monitor = DbMonitor(path, lock_patience=0.3)
    try:
        with pytest.raises(MonitorError, match=r"stayed locked for over 0\.3 s"):
            monitor.watch([1], timeout=30, on_update=lock)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# --- looking for commits: PRAGMA data_version, one status query for any number of ids ----------------


def test_data_version_changes_when_the_server_writes(ik_server, transport, enqueue):
    """The server's commits (a new item, each status change) show in a read-only connection's
    ``PRAGMA data_version``: no status change is ever missed by reading only after one."""
    monitor = DbMonitor(ik_server.db_path, transport)
    conn = monitor.connect()
    try:
        assert monitor.committed(conn)  # the first look always counts as a change
        [item] = enqueue()
        assert monitor.committed(conn)  # the server committed the new item
        statuses: list[str] = []
        looks: list[bool] = []
        for _ in range(20_000):  # read status, then look; a change must show at this look or the one before
            [update] = monitor.read(conn, [item])
            looks.append(monitor.committed(conn))
            if not statuses or update.status != statuses[-1]:
                if statuses:
                    assert looks[-1] or looks[-2], f"{statuses[-1]} -> {update.status} without a commit seen"
                statuses.append(update.status)
            if update.terminal:
                break
            time.sleep(0.001)
    finally:
        conn.close()
    assert statuses[-1] == "completed" and len(statuses) >= 2, statuses


def test_a_look_costs_one_query_for_1000_items_and_reads_only_after_a_commit(tmp_path, ik_server, jobs):
    """On a private copy (no one else commits): one ``PRAGMA data_version`` per look whatever the
    number of ids; after a commit, ONE status query for 1000 ids."""
    snapshot = copy_database(ik_server.db_path, tmp_path / "snapshot.db")
    ids = jobs.all + list(range(10**9, 10**9 + 1000 - len(jobs.all)))  # 1000 ids, most not in the DB
    monitor = DbMonitor(snapshot)
    conn = monitor.connect()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        first = monitor.look(conn, ids)
        assert first is not None and sorted(u.item_id for u in first) == sorted(jobs.all)
        assert [s.split()[0] for s in statements] == ["PRAGMA", "SELECT"]
        statements.clear()
        for _ in range(3):
            assert monitor.look(conn, ids) is None  # nothing committed: no status query
            assert monitor.look(conn, ids[:1]) is None
        assert statements == ["PRAGMA data_version"] * 6
        with sqlite3.connect(snapshot) as writer:  # our own copy, never the server's DB
            writer.execute("UPDATE session_queue SET status = 'canceled' WHERE item_id = ?", (jobs.completed[0],))
        statements.clear()
        after = monitor.look(conn, ids)
        assert after is not None and {u.item_id: u.status for u in after}[jobs.completed[0]] == "canceled"
        assert [s.split()[0] for s in statements] == ["PRAGMA", "SELECT"]
    finally:
        conn.close()


def test_without_json_each_the_ids_are_chunked_with_the_same_result(tmp_path, ik_server, jobs):
    snapshot = copy_database(ik_server.db_path, tmp_path / "snapshot.db")
    ids = jobs.all + list(range(10**9, 10**9 + 1000 - len(jobs.all)))
    monitor = DbMonitor(snapshot)
    conn = monitor.connect()
    try:
        assert monitor._json_ids  # this SQLite has json_each
        reads = monitor.status_reads
        one = {u.item_id: u.status for u in monitor.read(conn, ids)}
        assert monitor.status_reads - reads == 1
        monitor._json_ids = False  # as on an SQLite built without JSON
        chunked = {u.item_id: u.status for u in monitor.read(conn, ids)}
        assert monitor.status_reads - reads == 3  # 900 + 100 ids
        assert one == chunked and set(one) == set(jobs.all)
    finally:
        conn.close()


def test_the_db_monitor_sees_every_final_status_and_reads_only_after_commits(ik_server, transport, jobs):
    with DbMonitor(ik_server.db_path, transport) as monitor:
        final = monitor.watch(jobs.all, timeout=60)
    assert {i: u.status for i, u in final.items()} == jobs.expected()
    assert all(u.backend == "db" for u in final.values())
    assert 1 <= monitor.status_reads < monitor.checks  # most looks were a data_version only


def _pending_snapshot(enqueue, transport: Transport, ik_server, path: Path, runs: int) -> list[int]:
    """Items enqueued while the processor is paused, so the copy shows them pending; then it runs on."""
    transport.put_json("/api/v1/queue/default/processor/pause")
    try:
        ids = enqueue(runs=runs)
        copy_database(ik_server.db_path, path)
    finally:
        transport.put_json("/api/v1/queue/default/processor/resume")
    return ids


def test_a_stale_copy_of_the_database_is_an_error_not_a_wait_forever(tmp_path, ik_server, enqueue):
    """The copy keeps the items pending while the server completes them: the heartbeat compares the
    two and gives up on the database (issue 16, point 5)."""
    transport = Transport(ik_server.url, timeout=10.0)
    try:
        ids = _pending_snapshot(enqueue, transport, ik_server, tmp_path / "stale.db", runs=2)
        with DbMonitor(tmp_path / "stale.db", transport, heartbeat=0.3) as monitor, \
                pytest.raises(MonitorError, match=r"the database is stale: queue item \d+ is \w+ on the server"):
            monitor.watch(ids, timeout=30)
        # through auto: a warning and the API finishes the same watch
        ids = _pending_snapshot(enqueue, transport, ik_server, tmp_path / "stale2.db", runs=2)
        monitor = AutoMonitor(transport, db_path=tmp_path / "stale2.db", order=("db", "api"))
        with pytest.warns(MonitorFallbackWarning, match="stale.*falling back to the api"):
            final = monitor.watch(ids, timeout=60)
        assert monitor.used == ["db", "api"]
        assert {u.status for u in final.values()} == {"completed"}
    finally:
        transport.close()
