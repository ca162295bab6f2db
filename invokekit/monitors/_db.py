"""Watching queue items by reading the server's own SQLite database, read-only.

When the client runs on the server's machine, a status read from ``session_queue`` costs
~0.02 ms instead of a ~3 ms HTTP round trip, so this backend can look every few milliseconds and
see a job finish almost as soon as the server writes it. It must never change that database: the
connection is opened ``mode=ro`` (SQLite refuses every write) *and* set ``PRAGMA query_only``.

Between status reads it only asks ``PRAGMA data_version``, which changes exactly when another
connection (the server) committed: a look costs the same ~2 us whether 1 or 1000 items are
watched, and the status query (one query, one bound JSON parameter, for any number of ids) runs
only after a commit, plus a slow safety re-read. Most of a look's CPU is the sleep's wake-up
(~25 us here), so the look interval (``slow``, 7 ms) is what trades latency for CPU: measured
with 20 tiny SDXL jobs, 5 ms gave a p50 of 2.7 ms at 0.8-0.9% of a core, 10 ms 4.3 ms at 0.6%.

A database file proves nothing about which server it belongs to, so the first cycle of each watch
compares the rows with one API read (batch ids must match), and a slow heartbeat asks the server
whether it is still alive: a DB whose server died would otherwise show ``in_progress`` forever;
the heartbeat also compares the watched items' statuses, so a stale copy of the database (the API
ahead of it) is an error too instead of a wait that never ends.
Every way the DB can be unusable (missing, locked, not InvokeAI's, another server's) raises
:class:`MonitorError`, which ``AutoMonitor`` answers by falling back to the API.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit.api._items import status_stage
from invokekit.errors import MonitorError
from invokekit.monitors._api import MAX_IDS_PER_REQUEST, _raise_missing, queue_of
from invokekit.monitors._base import StatusUpdate
from invokekit.monitors._dbfile import REQUIRED_COLUMNS, WatchConnection, db_error, open_queue_db
from invokekit.monitors._tracker import Backoff, Deadline, TrackedMonitor, Tracker

if TYPE_CHECKING:
    from invokekit.api._transport import Transport

#: the session (graph and results, ~10-50 kB of JSON) only of finished rows: what their outputs need
_SESSION_WHEN_DONE = "CASE WHEN status IN ('completed', 'failed', 'canceled') THEN session END"
_SQL_CHUNK = 900  # without json_each: stay under SQLite's historical limit of 999 bound parameters


class DbMonitor(TrackedMonitor):
    """Poll ``session_queue`` in the server's ``databases/invokeai.db`` through a read-only connection.

    ``transport`` (optional but recommended) lets the monitor check that the DB belongs to that
    server and notice when the server dies. Between status reads it looks at ``PRAGMA data_version``
    every ``fast`` seconds after a status change, growing by ``factor`` up to ``slow``; it re-reads
    the statuses when the server committed, and at least every ``reread`` seconds. ``missing_grace``
    is how long items may be absent from the DB before that is an error; ``lock_patience`` how long
    a locked DB is waited for. ``checks`` counts SQL queries (looks and status reads),
    ``status_reads`` the status queries alone; ``http_requests`` counts identity checks and heartbeats.
    """

    name = "db"

    def __init__(
        self,
        db_path: str | Path,
        transport: Transport | None = None,
        *,
        queue_id: str = "default",
        fast: float = 0.002,
        slow: float = 0.007,
        factor: float = 1.5,
        reread: float = 1.0,
        heartbeat: float = 5.0,
        missing_grace: float = 2.0,
        lock_patience: float = 2.0,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.transport = transport
        self.queue_id = queue_id
        self.fast, self.slow, self.factor = fast, slow, factor
        self.reread = reread
        self.heartbeat = heartbeat
        self.missing_grace = missing_grace
        self.lock_patience = lock_patience
        self.http_requests = 0
        self.status_reads = 0
        self._json_ids = True  # one bound JSON array for any number of ids (SQLite's json_each)
        self._columns: tuple[str, ...] = REQUIRED_COLUMNS
        self._session = False  # whether rows have the session (a finished item's outputs)
        # fail now, with a clear message, rather than mid-wait (a check that leaves no files beside it)
        open_queue_db(self.db_path, check_only=True)[0].close()

    def _error(self, message: str) -> MonitorError:
        return db_error(message, self.db_path)

    # --- connection ---------------------------------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        """Open a read-only, query-only connection and check the schema; the caller closes it."""
        conn, self._columns, self._json_ids = open_queue_db(self.db_path)
        self._session = any(row[1] == "session" for row in conn.execute("PRAGMA table_info(session_queue)"))
        return conn

    def committed(self, conn: sqlite3.Connection) -> bool:
        """One look (one counted query): True when another connection committed to the database
        since ``conn``'s last look, and on its first. ``PRAGMA data_version`` ignores the size of
        the watch, so this costs the same for 1 or 1000 items."""
        began = time.perf_counter()
        try:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
        finally:
            self._count(began)
        seen = getattr(conn, "seen_version", None)
        if isinstance(conn, WatchConnection):
            conn.seen_version = version
        return seen is None or version != seen

    def look(self, conn: sqlite3.Connection, item_ids: Sequence[int]) -> list[StatusUpdate] | None:
        """One cycle as the watch loop runs it: ``None`` when nothing was committed since the last
        look on ``conn``, else a status read of ``item_ids``."""
        return self.read(conn, item_ids) if self.committed(conn) else None

    def read(self, conn: sqlite3.Connection, item_ids: Sequence[int]) -> list[StatusUpdate]:
        """One status read of ``item_ids``: one query for any number of ids (one query per 900 ids
        where SQLite lacks ``json_each``); items not in the DB are left out. Finished items come
        with their session, so their outputs need no API read."""
        if not item_ids:
            return []
        names = (*self._columns, "session") if self._session else self._columns
        cols = ", ".join(self._columns) + (f", {_SESSION_WHEN_DONE}" if self._session else "")
        if self._json_ids:
            sql = f"SELECT {cols} FROM session_queue WHERE item_id IN (SELECT value FROM json_each(?))"
            rows = self._query(conn, sql, [json.dumps([int(i) for i in item_ids])])
        else:
            rows = []
            for start in range(0, len(item_ids), _SQL_CHUNK):
                chunk = [int(i) for i in item_ids[start : start + _SQL_CHUNK]]
                marks = ", ".join("?" * len(chunk))
                rows += self._query(conn, f"SELECT {cols} FROM session_queue WHERE item_id IN ({marks})", chunk)
        seen_at, seen_mono = time.time(), time.perf_counter()
        return [
            StatusUpdate.from_api(
                dict(zip(names, row, strict=True)), backend=self.name, seen_at=seen_at, seen_monotonic=seen_mono
            )
            for row in rows
        ]

    def _query(self, conn: sqlite3.Connection, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        began = time.perf_counter()
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            self._count(began)
            self.status_reads += 1

    # --- the watch loop -------------------------------------------------------------------------

    def run(self, tracker: Tracker, deadline: Deadline) -> None:
        conn = self.connect()
        try:
            self._run(conn, tracker, deadline)
        finally:
            conn.close()

    def _run(self, conn: sqlite3.Connection, tracker: Tracker, deadline: Deadline) -> None:
        backoff = Backoff(self.fast, self.slow, self.factor)
        verified = self.transport is None
        locked_since: float | None = None
        missing_since: float | None = None
        next_heartbeat = time.perf_counter() + self.heartbeat
        while True:
            pending = tracker.pending()
            try:
                self.committed(conn)  # the version before the read: a commit during the read shows at the next look
                updates = self.read(conn, pending)
                locked_since = None
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise self._error(f"query failed: {exc}") from exc
                locked_since = locked_since or time.perf_counter()
                if time.perf_counter() - locked_since > self.lock_patience:
                    raise self._error(f"the database stayed locked for over {self.lock_patience:g} s") from exc
                updates = []
            except sqlite3.Error as exc:
                raise self._error(f"query failed: {exc}") from exc
            if not verified and updates:
                self._verify(pending, updates)
                verified = True
            found = {u.item_id for u in updates}
            if locked_since is None and any(i not in found for i in pending):
                missing_since = missing_since or time.perf_counter()
                if self.transport is not None or time.perf_counter() - missing_since > self.missing_grace:
                    self._raise_missing_rows(pending, found)
            else:
                missing_since = None
            changed = tracker.observe_all(updates)
            tracker.raise_callback_error()
            if tracker.done():
                return
            deadline.check(tracker)
            if self.transport is not None and time.perf_counter() >= next_heartbeat:
                self._heartbeat(conn, tracker.pending())
                next_heartbeat = time.perf_counter() + self.heartbeat
            if locked_since is not None or missing_since is not None:
                time.sleep(deadline.remaining(backoff.next(changed)))  # waiting it out: read again each time
            else:
                until = min(time.perf_counter() + self.reread, next_heartbeat if self.transport else float("inf"))
                self._wait_for_commit(conn, backoff, changed, deadline, until)
            deadline.check(tracker)

    def _wait_for_commit(
        self, conn: sqlite3.Connection, backoff: Backoff, changed: bool, deadline: Deadline, until: float
    ) -> None:
        """Look at ``data_version`` until the server commits, ``until`` (safety re-read, heartbeat)
        or the deadline; an unreadable version ends the wait too (the status read reports why)."""
        interval = backoff.next(changed)
        while True:
            left = until - time.perf_counter()
            time.sleep(deadline.remaining(max(0.0, min(interval, left))))
            if time.perf_counter() >= until or deadline.remaining(1.0) <= 0:
                return
            try:
                if self.committed(conn):
                    return
            except sqlite3.Error:
                return
            interval = backoff.next(False)

    # --- is this the right database, and is its server alive? -----------------------------------

    def _api_summaries(self, item_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        assert self.transport is not None
        self.http_requests += 1
        ids = list(item_ids[:MAX_IDS_PER_REQUEST])
        rows = queue_of(self.transport, self.queue_id).summaries(ids)
        return {int(r["item_id"]): r for r in rows}

    def _verify(self, item_ids: Sequence[int], updates: Sequence[StatusUpdate]) -> None:
        """Compare DB rows with the server's own view: the DB must be that server's."""
        api = self._api_summaries(item_ids)
        _raise_missing(item_ids[:MAX_IDS_PER_REQUEST], api, self.queue_id)
        for u in updates:
            if u.item_id in api and api[u.item_id].get("batch_id") != u.batch_id:
                raise self._error(
                    f"queue item {u.item_id} belongs to batch {u.batch_id} in the database but to batch "
                    f"{api[u.item_id].get('batch_id')} on the server at {self.transport.base_url}: "  # type: ignore[union-attr]
                    "this database belongs to another server"
                )

    def _raise_missing_rows(self, pending: Sequence[int], found: set[int]) -> None:
        missing = [i for i in pending if i not in found]
        if self.transport is not None:
            _raise_missing(missing, self._api_summaries(missing), self.queue_id)  # gone from the server too
            where = f"but the server at {self.transport.base_url} has them: the database belongs to another server"
        else:
            where = f"for over {self.missing_grace:g} s: deleted, or the database of another server"
        shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
        raise self._error(f"queue item(s) {shown} are not in the database, {where}")

    def _heartbeat(self, conn: sqlite3.Connection, pending: Sequence[int]) -> None:
        """Raise the transport's ``ServerUnavailable`` when the server is gone, and
        :class:`MonitorError` when the database is stale (AutoMonitor then falls back)."""
        assert self.transport is not None
        if not pending:
            self.http_requests += 1
            queue_of(self.transport, self.queue_id).status()
            return
        api = self._api_summaries(pending)
        # read after the API's answer, which the server took from the database it writes: a
        # database that is behind it now is not the one the server writes (a copy, a stale mount)
        try:
            in_db = {u.item_id: u.status for u in self.read(conn, pending)}
        except sqlite3.Error:
            return  # a locked or broken database is the status read's to report
        for item_id, row in api.items():
            status = str(row.get("status"))
            if item_id in in_db and status_stage(status) > status_stage(in_db[item_id]):
                raise self._error(
                    f"the database is stale: queue item {item_id} is {status} on the server at "
                    f"{self.transport.base_url} but {in_db[item_id]} in the database (a copy, or not the file "
                    "that server writes)")
