"""The three backends (and auto) against the real server: same updates, same final statuses."""

from __future__ import annotations

import io
import itertools
import threading
from pathlib import Path

import pytest

from invokekit.client import Transport
from invokekit.errors import JobError, JobTimeout, MonitorError, ServerUnavailable
from invokekit.monitors import (
    TERMINAL,
    ApiMonitor,
    AutoMonitor,
    DbMonitor,
    EventMonitor,
    Monitor,
    StatusUpdate,
    make_monitor,
    progress_bar,
)

pytestmark = pytest.mark.server

BACKENDS = ("api", "db", "events", "auto")


def _build(name: str, transport: Transport, db_path: Path) -> Monitor:
    return make_monitor(name, transport, db_path=db_path)


def _check_update_stream(updates: list[StatusUpdate], item_ids: list[int]) -> None:
    """Per item: statuses never go back, nothing follows the terminal update, no repeats."""
    stages = {"pending": 0, "in_progress": 1, "waiting": 1, "completed": 2, "failed": 2, "canceled": 2}
    for item in item_ids:
        mine = [u for u in updates if u.item_id == item]
        assert mine, f"no update for item {item}"
        assert mine[-1].terminal and sum(u.terminal for u in mine) == 1
        levels = [stages[u.status] for u in mine]
        assert levels == sorted(levels)
        plain = [u.status for u in mine if u.progress is None and u.message is None]
        assert all(a != b for a, b in itertools.pairwise(plain)), plain


@pytest.mark.parametrize("name", BACKENDS)
def test_each_backend_sees_completed_failed_and_canceled(name, jobs, ik_server, transport):
    updates: list[StatusUpdate] = []
    with _build(name, transport, ik_server.db_path) as monitor:
        final = monitor.watch(jobs.all, timeout=60, on_update=updates.append)
    assert {i: u.status for i, u in final.items()} == jobs.expected()
    _check_update_stream(updates, jobs.all)
    failed = final[jobs.failed[0]]
    assert failed.error_type == "ZeroDivisionError"
    assert "division by zero" in (failed.error_message or "")
    assert "Traceback" in (failed.error_traceback or "")
    for update in final.values():
        assert update.batch_id and update.session_id and update.created_at and update.completed_at
    assert final[jobs.completed[0]].started_at is not None
    assert monitor.checks > 0


def test_backends_agree_on_the_same_jobs_watched_at_once(jobs, ik_server):
    """All three watch the same items concurrently; their final updates must match field by field."""
    results: dict[str, dict[int, StatusUpdate]] = {}
    errors: list[BaseException] = []

    def watch(name: str) -> None:
        transport = Transport(ik_server.url, timeout=10.0)
        try:
            with _build(name, transport, ik_server.db_path) as monitor:
                results[name] = monitor.watch(jobs.all, timeout=60)
        except BaseException as exc:
            errors.append(exc)
        finally:
            transport.close()

    threads = [threading.Thread(target=watch, args=(n,)) for n in ("api", "db", "events")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    assert not errors, errors
    fields = ("status", "batch_id", "session_id", "error_type", "error_message", "created_at", "completed_at")
    views = {name: {i: tuple(getattr(u, f) for f in fields) for i, u in r.items()} for name, r in results.items()}
    assert views["api"] == views["db"] == views["events"]
    assert {i: v[0] for i, v in views["api"].items()} == jobs.expected()


def test_a_watch_of_finished_items_returns_at_once_with_one_update_each(jobs, ik_server, transport):
    with make_monitor("api", transport) as api:
        api.watch(jobs.all, timeout=60)
    for name in BACKENDS:
        updates: list[StatusUpdate] = []
        with _build(name, transport, ik_server.db_path) as monitor:
            final = monitor.watch(jobs.all, timeout=30, on_update=updates.append)
        assert sorted(u.item_id for u in updates) == sorted(jobs.all), name
        assert all(u.terminal for u in updates)
        assert {i: u.status for i, u in final.items()} == jobs.expected()


@pytest.mark.parametrize("name", BACKENDS)
def test_timeout_raises_job_timeout_naming_the_unfinished_items(name, enqueue, ik_server, transport):
    ids = enqueue(runs=4)
    with _build(name, transport, ik_server.db_path) as monitor, pytest.raises(JobTimeout) as err:
        monitor.watch(ids, timeout=0.05)
    assert err.value.item_id in ids
    assert "not finished after 0.05 s" in str(err.value)
    with make_monitor("api", transport) as api:  # leave nothing running for the next test
        api.watch(ids, timeout=60)


@pytest.mark.parametrize("name", ["api", "db", "auto"])
def test_an_item_the_server_does_not_have_is_an_error_not_a_hang(name, ik_server, transport):
    with _build(name, transport, ik_server.db_path) as monitor, pytest.raises(JobError, match="not found"):
        monitor.watch([987_654_321], timeout=30)


def test_make_monitor_names_and_errors(ik_server, transport):
    assert isinstance(make_monitor("api", transport), ApiMonitor)
    assert isinstance(make_monitor("auto", transport), AutoMonitor)
    assert isinstance(make_monitor("EVENTS", transport), AutoMonitor)  # events, else the API
    db = make_monitor("db", transport, db_path=ik_server.db_path)
    assert isinstance(db, AutoMonitor) and db.order == ("db", "api")
    mine = ApiMonitor(transport)
    assert make_monitor(mine, transport) is mine
    with pytest.raises(MonitorError, match="db_path"):
        make_monitor("db", transport)
    with pytest.raises(MonitorError, match="choose one of auto, events, db, api"):
        make_monitor("carrier-pigeon", transport)
    assert isinstance(DbMonitor(ik_server.db_path, transport), DbMonitor)
    assert EventMonitor(transport).url == transport.base_url


def test_empty_watch_returns_empty(transport):
    assert ApiMonitor(transport).watch([]) == {}


def test_progress_bar_counts_finished_items_and_closes(jobs, ik_server, transport):
    out = io.StringIO()
    bar = progress_bar(len(jobs.all), desc="test", file=out)
    with make_monitor("auto", transport, db_path=ik_server.db_path) as monitor:
        monitor.watch(jobs.all, timeout=60, on_update=bar)
    assert bar.closed and bar.bar.n == len(jobs.all)
    text = out.getvalue()
    assert f"{len(jobs.all)}/{len(jobs.all)}" in text
    assert "1 failed" in text and "1 canceled" in text
    bar.close()  # harmless twice


def test_terminal_statuses_are_the_documented_ones():
    assert frozenset({"completed", "failed", "canceled"}) == TERMINAL


def test_server_gone_mid_wait_ends_the_api_watch_with_an_error(enqueue, proxy):
    ids = enqueue(runs=4)
    transport = Transport(proxy.url, timeout=5.0, retries=1)
    try:
        with pytest.raises(ServerUnavailable):
            ApiMonitor(transport).watch(ids, timeout=60, on_update=lambda _u: proxy.kill())
    finally:
        transport.close()


def test_auto_looks_for_the_database_only_when_asked(transport) -> None:
    """``auto`` given a lookup runs it on first need (its order, or events failing), not when built."""
    calls: list[int] = []
    auto = AutoMonitor(transport, db_path=lambda: calls.append(1))
    assert calls == []
    assert auto.order == ("events", "api") and calls == [1]  # no database found: auto goes without it
    assert auto.order == ("events", "api") and calls == [1]  # looked for once
