"""The one queue-item model: every shape the server gives of a queue item decodes alike.

Recorded shapes (full item, socket event, a ``session_queue`` row built from InvokeAI's own
schema) need no server; the last test decodes one real item read three ways from the sandbox.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from invokekit.api import STATUSES, TERMINAL, QueueItem
from invokekit.api._items import parse_server_time, status_stage
from invokekit.client import Client
from invokekit.monitors import DbMonitor, StatusUpdate
from invokekit.monitors._dbfile import REQUIRED_COLUMNS
from invokekit.results import ItemResult, item_result

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "invokeai-6.14.2"


def _recorded(name: str) -> dict[str, Any]:
    return json.loads((REFERENCE / name).read_text())


def _base(item: QueueItem) -> QueueItem:
    """The queue-item part of a subclass instance (a status update, an item result)."""
    return QueueItem(**{f.name: getattr(item, f.name) for f in fields(QueueItem)})


def test_status_names_and_stages() -> None:
    assert STATUSES == ("pending", "in_progress", "waiting", "completed", "failed", "canceled")
    assert frozenset({"completed", "failed", "canceled"}) == TERMINAL
    assert [status_stage(s) for s in STATUSES] == [0, 1, 1, 2, 2, 2]
    assert status_stage("a status of a later InvokeAI") == 1  # neither the start nor the end


def test_full_item_decodes_with_its_error() -> None:
    item = QueueItem.from_api(_recorded("sdxl-queue-item-failed.json"))
    assert (item.item_id, item.status, item.status_sequence) == (5, "failed", 2)
    assert item.terminal and item.error_type == "RuntimeError"
    assert item.error_message and item.error_message in (item.error_traceback or "")
    assert item.batch_id == "240b7dff-8da2-405f-84fb-29be6b9af9f8"
    assert (item.created_at, item.completed_at) == ("2026-11-27 05:59:23.175", "2026-11-27 05:59:24.939")


def test_iso_timestamps_are_normalised() -> None:
    item = QueueItem.from_api(
        {"item_id": "7", "status": "completed", "created_at": "2026-11-27T05:59:49.652Z", "status_sequence": "2"}
    )
    assert (item.item_id, item.created_at, item.status_sequence) == (7, "2026-11-27 05:59:49.652", 2)
    assert parse_server_time(item.created_at) == parse_server_time("2026-11-27T05:59:49.652Z")
    assert parse_server_time(" 2026-11-27 05:59:49 ") == parse_server_time("2026-11-27 05:59:49.000")
    assert parse_server_time("yesterday") is None and parse_server_time(None) is None


def test_event_and_db_row_decode_like_the_api_item() -> None:
    """The recorded completed event of item 6, and the same values in a row of InvokeAI's own
    ``session_queue`` schema, decode to the same queue item."""
    events = [e["data"] for e in _recorded("sdxl-socket-events.json") if e["event"] == "queue_item_status_changed"]
    event = next(e for e in events if e["status"] == "completed")
    from_event = QueueItem.from_api(event)
    assert from_event.terminal and from_event.session_id and from_event.status_sequence == 2

    conn = sqlite3.connect(":memory:")
    conn.executescript((REFERENCE / "db-schema-session_queue.sql").read_text())
    conn.execute("DROP TRIGGER IF EXISTS tg_session_queue_completed_at")  # keep the recorded timestamps
    conn.execute("DROP TRIGGER IF EXISTS tg_session_queue_updated_at")
    conn.execute(
        "INSERT INTO session_queue (item_id, batch_id, queue_id, session_id, session, status, status_sequence, "
        "created_at, started_at, completed_at) VALUES (?, ?, 'default', ?, '{}', ?, ?, ?, ?, ?)",
        [event[k] for k in ("item_id", "batch_id", "session_id", "status", "status_sequence",
                            "created_at", "started_at", "completed_at")],
    )
    columns = (*REQUIRED_COLUMNS, "status_sequence")
    row = conn.execute(f"SELECT {', '.join(columns)} FROM session_queue").fetchone()
    assert QueueItem.from_api(dict(zip(columns, row, strict=True))) == from_event


def test_updates_and_results_are_queue_items() -> None:
    raw = _recorded("sdxl-queue-item-completed.json")
    update = StatusUpdate.from_api(raw, backend="api", seen_at=1.0)
    result = item_result(raw)
    assert isinstance(update, QueueItem) and isinstance(result, ItemResult) and isinstance(result, QueueItem)
    assert _base(update) == _base(result) == QueueItem.from_api(raw)
    assert (update.backend, update.seen_at, update.item_id, update.status) == ("api", 1.0, 7, "completed")
    assert result.terminal and result.images  # the completed SDXL item has its output image
    with pytest.raises(AttributeError):
        result.status = "failed"  # type: ignore[misc]  # an observation does not change afterwards


def test_journal_and_results_do_not_import_the_monitors() -> None:
    code = "import sys, invokekit.results; print([m for m in sys.modules if m.startswith('invokekit.monitors')])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.server
def test_one_real_item_read_three_ways_decodes_alike(client: Client, invokeai_sandbox: Any) -> None:
    """A real failed item: the API's full item, its row in the server's database (read-only, by
    the DB monitor) and the item result agree field by field."""
    graph = {
        "nodes": {
            "a": {"id": "a", "type": "integer", "value": 7},
            "d": {"id": "d", "type": "div", "a": 10, "b": 0, "use_cache": False},
        },
        "edges": [{"source": {"node_id": "a", "field": "value"}, "destination": {"node_id": "d", "field": "a"}}],
    }
    job = client.submit(graph)
    [result] = job.wait(monitor="api", timeout=120)
    full = QueueItem.from_api(client.queue.item(result.item_id))
    monitor = DbMonitor(invokeai_sandbox.db_path, client.transport)
    conn = monitor.connect()
    try:
        [row] = monitor.read(conn, [result.item_id])
    finally:
        conn.close()
    assert full.status == "failed" and full.error_type == "ZeroDivisionError" and full.error_traceback
    assert _base(row) == full == _base(result)
    assert job.last_updates[result.item_id].status == "failed"
