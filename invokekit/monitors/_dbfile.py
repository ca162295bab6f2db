"""Opening InvokeAI's ``invokeai.db`` read-only, and proving which server it belongs to.

The connection is opened ``mode=ro`` (SQLite refuses every write) *and* set ``PRAGMA query_only``:
invokekit never changes the server's database, nor leaves files beside it when it only looks (a
proof, a check: without a ``-wal`` file, i.e. no server has it open, it is opened ``immutable``,
so no ``-wal``/``-shm`` is created; a watch needs a live server, which has its ``-wal``).

A database file proves nothing about which server it belongs to (a copied root, a stale install,
another sandbox), so before one is trusted :func:`prove_database` compares it with the server's API:
the queue counts the server reports are computed from this very table, so the same database gives
the same counts, and the newest item's batch id (a random UUID) must be the same on both sides.
Reads are taken before and after the API's answer; a queue that changed in between is compared
again.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from invokekit.api._items import STATUSES
from invokekit.errors import MonitorError

if TYPE_CHECKING:
    from invokekit.api import Queue

#: columns the monitor reads; a database without them is not one it understands
REQUIRED_COLUMNS = (
    "item_id",
    "status",
    "error_type",
    "error_message",
    "error_traceback",
    "created_at",
    "started_at",
    "completed_at",
    "batch_id",
    "session_id",
)
OPTIONAL_COLUMNS = ("status_sequence",)


class WatchConnection(sqlite3.Connection):
    """A read-only connection that remembers the ``PRAGMA data_version`` it last saw (the value
    is per connection, so it lives with the connection)."""

    seen_version: int | None = None


def db_error(message: str, path: str | Path) -> MonitorError:
    return MonitorError(f"{message} (database {str(path)!r})", backend="db")


def wal_path(path: Path) -> Path:
    """The write-ahead log beside a WAL-mode database; it exists while the server has it open."""
    return path.with_name(path.name + "-wal")


def _in_wal_mode(path: Path) -> bool:
    """The header says WAL (file format versions 2 at bytes 18-19); only then could -wal/-shm appear."""
    try:
        with open(path, "rb") as fh:
            header = fh.read(20)
    except OSError:
        return False
    return header[:16] == b"SQLite format 3\x00" and header[18:20] == b"\x02\x02"


def open_queue_db(path: str | Path, *, check_only: bool = False) -> tuple[WatchConnection, tuple[str, ...], bool]:
    """Open ``path`` read-only and query-only and check its ``session_queue`` table.

    ``check_only``: for one look (a proof, a check before watching), not for watching commits; a
    WAL database no server has open (no ``-wal``) is then opened ``immutable``, leaving no files.

    Returns the connection (the caller closes it), the columns to read, and whether SQLite has
    ``json_each`` (one bound JSON array for any number of ids). Raises :class:`MonitorError` saying
    why a database cannot be used (missing, unreadable, not InvokeAI's, an unknown version).
    """
    path = Path(path)
    if not path.is_file():
        raise db_error("the database file does not exist", path)
    uri = f"{path.resolve().as_uri()}?mode=ro"
    if check_only and _in_wal_mode(path) and not wal_path(path).exists():
        # the server closed it cleanly (or it is a copy): a plain read-only open of a WAL database
        # would create -wal/-shm files in the server's folder; for a look at it, read it as it is
        uri += "&immutable=1"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=0.2, check_same_thread=False, factory=WatchConnection)
    except sqlite3.Error as exc:
        raise db_error(f"cannot open it read-only: {exc}", path) from exc
    try:
        conn.execute("PRAGMA query_only = 1")
        found = {row[1] for row in conn.execute("PRAGMA table_info(session_queue)")}
    except sqlite3.Error as exc:
        conn.close()
        raise db_error(f"cannot read it: {exc}", path) from exc
    if not found:
        conn.close()
        raise db_error("it has no session_queue table; is this InvokeAI's invokeai.db?", path)
    missing = [c for c in REQUIRED_COLUMNS if c not in found]
    if missing:
        conn.close()
        raise db_error(
            f"its session_queue table lacks column(s) {', '.join(missing)}; "
            "an InvokeAI version this monitor does not know",
            path,
        )
    columns = REQUIRED_COLUMNS + tuple(c for c in OPTIONAL_COLUMNS if c in found)
    try:
        conn.execute("SELECT value FROM json_each('[1]')").fetchall()
        json_ids = True
    except sqlite3.OperationalError:  # an SQLite built without JSON: bind the ids one by one
        json_ids = False
    return conn, columns, json_ids


# --- is it this server's database? ---------------------------------------------------------------


@dataclass(frozen=True)
class Proof:
    """The outcome of comparing a database with a server.

    ``proven``: the queues match. ``unproven``: nothing to compare yet (both queues are empty, or
    the queue kept changing); the database monitor then checks the first batch it watches.
    ``refused``: it is not this server's database, or not a usable one; ``reason`` says why.
    """

    verdict: Literal["proven", "unproven", "refused"]
    reason: str

    @property
    def usable(self) -> bool:
        return self.verdict != "refused"


_Snapshot = tuple[dict[str, int], tuple[int, str] | None]


def _snapshot(conn: sqlite3.Connection, queue_id: str) -> _Snapshot:
    counts = dict(conn.execute("SELECT status, count(*) FROM session_queue WHERE queue_id = ? GROUP BY status",
                               (queue_id,)).fetchall())  # fmt: skip
    newest = conn.execute(
        "SELECT item_id, batch_id FROM session_queue WHERE queue_id = ? ORDER BY item_id DESC LIMIT 1", (queue_id,)
    ).fetchone()
    return {str(k): int(v) for k, v in counts.items()}, (int(newest[0]), str(newest[1])) if newest else None


def _compare(snapshot: _Snapshot, status: dict[str, object], newest_batch: str | None, server: str) -> Proof:
    counts, newest = snapshot
    api = {k: v for k, v in status.items() if k in STATUSES and isinstance(v, int)}
    db = {k: counts.get(k, 0) for k in api}
    total = sum(counts.values())
    if db != api or total != status.get("total", total):
        return Proof("refused", f"its queue ({total} items: {_counts(db)}) differs from that of {server} "
                                f"({status.get('total')} items: {_counts(api)}); it is another server's database")
    if newest is None:
        return Proof("unproven", "its queue and the server's are both empty; the first batch watched will tell")
    item_id, batch_id = newest
    if newest_batch != batch_id:
        on_server = f"batch {newest_batch}" if newest_batch else "nothing"
        return Proof("refused", f"its newest queue item {item_id} is from batch {batch_id}, but on {server} "
                                f"it is {on_server}; it is another server's database")
    return Proof("proven", f"its queue matches the server's ({total} items, the newest from batch {batch_id})")


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {status}" for status, n in counts.items() if n) or "none"


def prove_database(
    path: str | Path, queue: Queue, *, queue_id: str = "default", server: str = "the server", attempts: int = 3
) -> Proof:
    """Compare the database at ``path`` with the queue of the server ``queue`` talks to.

    Only reads (the database read-only, the API with two read requests per attempt); ``server``
    names the server in the reasons. Raises the transport's errors when the server does not
    answer; every problem with the file is a ``refused`` proof.
    """
    try:
        conn, _, _ = open_queue_db(path, check_only=True)
    except MonitorError as exc:  # the reason without the "db monitor:" and "(database ...)" around it
        return Proof("refused", str(exc).removeprefix("db monitor: ").removesuffix(f" (database {str(path)!r})"))
    try:
        for _ in range(attempts):
            before = _snapshot(conn, queue_id)
            status = queue.status(queue_id).get("queue") or {}
            newest_batch = None
            if before[1] is not None:
                [summary] = queue.summaries([before[1][0]], queue_id) or [{}]
                newest_batch = summary.get("batch_id")
            if _snapshot(conn, queue_id) == before:
                return _compare(before, status, newest_batch, server)
    except sqlite3.Error as exc:
        return Proof("refused", f"cannot read it: {exc}")
    finally:
        conn.close()
    return Proof("unproven", f"the queue kept changing in {attempts} comparisons; the first batch watched will tell")


__all__ = ["OPTIONAL_COLUMNS", "REQUIRED_COLUMNS", "Proof", "WatchConnection", "open_queue_db", "prove_database"]
