"""Watching queue items by reading the server's own SQLite database, read-only.

When the client runs on the server's machine, a status read from ``session_queue`` costs
~0.02 ms instead of a ~3 ms HTTP round trip, so this backend can poll every few milliseconds and
see a job finish almost as soon as the server writes it. It must never change that database: the
connection is opened ``mode=ro`` (SQLite refuses every write) *and* set ``PRAGMA query_only``.

A database file proves nothing about which server it belongs to, so the first cycle of each watch
compares the rows with one API read (batch ids must match), and a slow heartbeat asks the server
whether it is still alive: a DB whose server died would otherwise show ``in_progress`` forever.
Every way the DB can be unusable (missing, locked, not InvokeAI's, another server's) raises
:class:`MonitorError`, which ``AutoMonitor`` answers by falling back to the API.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit.errors import MonitorError
from invokekit.monitors._api import MAX_IDS_PER_REQUEST, _raise_missing
from invokekit.monitors._base import StatusUpdate
from invokekit.monitors._tracker import Backoff, Deadline, TrackedMonitor, Tracker, update_from_item

if TYPE_CHECKING:
    from invokekit.client._transport import Transport

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
_OPTIONAL_COLUMNS = ("status_sequence",)
_SQL_CHUNK = 900  # stay under SQLite's historical limit of 999 bound parameters


class DbMonitor(TrackedMonitor):
    """Poll ``session_queue`` in the server's ``databases/invokeai.db`` through a read-only connection.

    ``transport`` (optional but recommended) lets the monitor check that the DB belongs to that
    server and notice when the server dies. ``missing_grace`` is how long items may be absent
    from the DB before that is an error; ``lock_patience`` how long a locked DB is waited for.
    ``checks`` counts SQL queries; ``http_requests`` counts the identity checks and heartbeats.
    """

    name = "db"

    def __init__(
        self,
        db_path: str | Path,
        transport: Transport | None = None,
        *,
        queue_id: str = "default",
        fast: float = 0.002,
        slow: float = 0.1,
        factor: float = 1.5,
        heartbeat: float = 5.0,
        missing_grace: float = 2.0,
        lock_patience: float = 2.0,
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.transport = transport
        self.queue_id = queue_id
        self.fast, self.slow, self.factor = fast, slow, factor
        self.heartbeat = heartbeat
        self.missing_grace = missing_grace
        self.lock_patience = lock_patience
        self.http_requests = 0
        self._columns: tuple[str, ...] = REQUIRED_COLUMNS
        self.connect().close()  # fail now, with a clear message, rather than mid-wait

    def _error(self, message: str) -> MonitorError:
        return MonitorError(f"{message} (database {str(self.db_path)!r})", backend=self.name)

    # --- connection ---------------------------------------------------------------------------

    def connect(self) -> sqlite3.Connection:
        """Open a read-only, query-only connection and check the schema; the caller closes it."""
        if not self.db_path.is_file():
            raise self._error("the database file does not exist")
        uri = f"{self.db_path.resolve().as_uri()}?mode=ro"
        try:
            conn = sqlite3.connect(uri, uri=True, timeout=0.2, check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._error(f"cannot open it read-only: {exc}") from exc
        try:
            conn.execute("PRAGMA query_only = 1")
            columns = {row[1] for row in conn.execute("PRAGMA table_info(session_queue)")}
        except sqlite3.Error as exc:
            conn.close()
            raise self._error(f"cannot read it: {exc}") from exc
        if not columns:
            conn.close()
            raise self._error("it has no session_queue table; is this InvokeAI's invokeai.db?")
        missing = [c for c in REQUIRED_COLUMNS if c not in columns]
        if missing:
            conn.close()
            raise self._error(
                f"its session_queue table lacks column(s) {', '.join(missing)}; "
                "an InvokeAI version this monitor does not know"
            )
        self._columns = REQUIRED_COLUMNS + tuple(c for c in _OPTIONAL_COLUMNS if c in columns)
        return conn

    def read(self, conn: sqlite3.Connection, item_ids: Sequence[int]) -> list[StatusUpdate]:
        """One status read of ``item_ids`` (one query per 900 ids); items not in the DB are left out."""
        updates: list[StatusUpdate] = []
        cols = ", ".join(self._columns)
        for start in range(0, len(item_ids), _SQL_CHUNK):
            chunk = list(item_ids[start : start + _SQL_CHUNK])
            sql = f"SELECT {cols} FROM session_queue WHERE item_id IN ({', '.join('?' * len(chunk))})"
            began = time.perf_counter()
            try:
                rows = conn.execute(sql, chunk).fetchall()
            finally:
                self._count(began)
            seen_at, seen_mono = time.time(), time.perf_counter()
            for row in rows:
                item = dict(zip(self._columns, row, strict=True))
                updates.append(update_from_item(item, self.name, seen_at=seen_at, seen_monotonic=seen_mono))
        return updates

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
                self._heartbeat()
                next_heartbeat = time.perf_counter() + self.heartbeat
            time.sleep(deadline.remaining(backoff.next(changed)))
            deadline.check(tracker)

    # --- is this the right database, and is its server alive? -----------------------------------

    def _api_summaries(self, item_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
        assert self.transport is not None
        self.http_requests += 1
        ids = list(item_ids[:MAX_IDS_PER_REQUEST])
        rows = self.transport.post_json(f"/api/v1/queue/{self.queue_id}/item_summaries_by_ids", {"item_ids": ids})
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

    def _heartbeat(self) -> None:
        """Raise the transport's ``ServerUnavailable`` when the server is gone."""
        assert self.transport is not None
        self.http_requests += 1
        self.transport.get_json(f"/api/v1/queue/{self.queue_id}/status")
