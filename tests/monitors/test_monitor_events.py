"""The socket.io backend: progress and previews, and no lost completion when the socket fails."""

from __future__ import annotations

import copy
import json
import logging
import random
import socket
import threading
import time
from pathlib import Path

import pytest

from invokekit.client import Transport
from invokekit.errors import JobTimeout, MonitorError, ServerUnavailable
from invokekit.monitors import AutoMonitor, EventMonitor, MonitorFallbackWarning, StatusUpdate

pytestmark = pytest.mark.server

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "invokeai-6.14.2"


def _closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _wait_until(condition, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


def test_cannot_connect_is_a_monitor_error(transport):
    monitor = EventMonitor(transport, url=_closed_port_url(), connect_timeout=2.0)
    with pytest.raises(MonitorError, match=r"cannot connect to socket\.io") as err:
        monitor.watch([1], timeout=10)
    assert err.value.backend == "events"


def test_auto_falls_back_to_the_api_when_the_socket_cannot_connect(transport, jobs):
    monitor = AutoMonitor(transport, events_url=_closed_port_url())
    with pytest.warns(MonitorFallbackWarning, match="falling back to the api"):
        final = monitor.watch(jobs.all, timeout=60)
    assert {i: u.status for i, u in final.items()} == jobs.expected()
    assert monitor.used == ["events", "api"]


def test_a_fallback_is_told_once_as_a_warning_and_not_logged_too(transport, jobs, caplog, recwarn):
    caplog.set_level(logging.DEBUG, logger="invokekit")
    AutoMonitor(transport, events_url=_closed_port_url()).watch(jobs.all, timeout=60)
    told = [w for w in recwarn if issubclass(w.category, MonitorFallbackWarning)]
    assert len(told) == 1 and "falling back to the api monitor" in str(told[0].message)
    assert not [r for r in caplog.records if "falling back" in r.getMessage()]


def test_socket_closed_mid_wait_by_another_thread_falls_back_to_polling(transport, enqueue):
    ids = enqueue(runs=4)
    monitor = EventMonitor(transport)
    result: dict[str, object] = {}

    def watch() -> None:
        try:
            result["final"] = monitor.watch(ids, timeout=60)
        except BaseException as exc:
            result["error"] = exc

    watcher = threading.Thread(target=watch)
    watcher.start()
    _wait_until(lambda: monitor.checks > 0 or "final" in result or "error" in result)  # subscribed, first read done
    client = monitor.client
    if client is not None:
        client.disconnect()
    watcher.join(60)
    assert not watcher.is_alive() and "error" not in result, result.get("error")
    final = result["final"]
    assert isinstance(final, dict) and {u.status for u in final.values()} == {"completed"}


def test_dropped_connection_mid_wait_never_misses_the_completion(transport, enqueue, proxy):
    """The socket goes through a proxy that dies at the first update; polling finishes the watch."""
    ids = enqueue(runs=4)
    monitor = EventMonitor(transport, url=proxy.url)
    updates: list[StatusUpdate] = []

    def on_update(update: StatusUpdate) -> None:
        updates.append(update)
        if len(updates) == 1:
            proxy.kill()

    final = monitor.watch(ids, timeout=60, on_update=on_update)
    assert {u.status for u in final.values()} == {"completed"}
    assert monitor.drops >= 1
    assert any(u.backend == "api" for u in updates[1:])


def test_server_gone_mid_wait_ends_the_events_watch_with_an_error(ik_server, enqueue, proxy):
    """Socket and API both go through the proxy; when it dies the wait ends in bounded time."""
    ids = enqueue(runs=4)
    transport = Transport(proxy.url, timeout=5.0, retries=1)
    try:
        monitor = EventMonitor(transport)
        with pytest.raises(ServerUnavailable):
            monitor.watch(ids, timeout=60, on_update=lambda _u: proxy.kill())
    finally:
        transport.close()


def test_a_black_holed_connection_ends_the_wait_at_its_timeout(enqueue, proxy):
    """Socket and API go through a proxy that stops passing anything on (connections stay open):
    the wait ends at its timeout, closing the dead socket included (not after 3 x 30 s of
    requests, and ~40 s for socket.io to give up on its close handshake)."""
    ids = enqueue(runs=10)
    transport = Transport(proxy.url, timeout=30.0, retries=2)
    try:
        monitor = EventMonitor(transport)
        began = time.monotonic()
        with pytest.raises(JobTimeout, match="not finished after 5 s"):
            monitor.watch(ids, timeout=5, on_update=lambda _u: proxy.black_hole())
        took = time.monotonic() - began
    finally:
        transport.close()
    assert took < 5 + 4, f"the wait took {took:.1f} s"


def _sdxl_graph(transport: Transport, steps: int) -> dict:
    """The recorded tiny-SDXL graph, pointed at this server's tiny-sdxl model."""
    request = json.loads((REFERENCE / "sdxl-enqueue-request.json").read_text())
    graph = copy.deepcopy(request["batch"]["graph"])
    model = transport.get_json("/api/v2/models/", model_name="tiny-sdxl", model_type="main")["models"][0]
    graph["nodes"]["model_loader"]["model"] = {k: model[k] for k in ("key", "hash", "name", "base", "type")}
    graph["nodes"]["noise"]["seed"] = random.randrange(2**31)
    graph["nodes"]["denoise"]["steps"] = steps
    graph["nodes"]["denoise"]["use_cache"] = False  # each run denoises, so each reports progress
    for size in ("width", "height"):
        graph["nodes"]["noise"][size] = 64
    return graph


def test_progress_and_preview_come_with_the_status_updates(transport):
    graph = _sdxl_graph(transport, steps=4)
    batch = {"graph": graph, "runs": 2, "origin": "ik-monitor-test", "destination": "ik"}
    ids = sorted(transport.post_json("/api/v1/queue/default/enqueue_batch", {"batch": batch})["item_ids"])
    updates: list[StatusUpdate] = []
    with EventMonitor(transport) as monitor:
        final = monitor.watch(ids, timeout=300, on_update=updates.append)
    assert {i: u.status for i, u in final.items()} == dict.fromkeys(ids, "completed"), final
    last = [u for u in updates if u.item_id == ids[-1]]  # started after we subscribed
    progress = [u for u in last if u.progress is not None]
    assert progress, [(u.status, u.message) for u in last]
    assert all(0.0 <= u.progress <= 1.0 and u.status == "in_progress" for u in progress)
    assert any((u.preview or "").startswith("data:image/") for u in progress)
    assert last[-1].status == "completed" and last[-1].backend == "events"
    assert monitor.events > 0


def test_reconnects_after_a_network_blip_and_events_resume(transport, proxy):
    """The proxy cuts the socket at the first denoising step but keeps listening: the client
    reconnects, subscribes again, and later steps arrive as events again."""
    graph = _sdxl_graph(transport, steps=60)
    batch = {"graph": graph, "runs": 1, "origin": "ik-monitor-test", "destination": "ik"}
    ids = transport.post_json("/api/v1/queue/default/enqueue_batch", {"batch": batch})["item_ids"]
    updates: list[StatusUpdate] = []
    cut_at: list[int] = []

    def on_update(update: StatusUpdate) -> None:
        updates.append(update)
        if update.progress is not None and not cut_at:
            cut_at.append(len(updates))
            proxy.drop_connections()

    monitor = EventMonitor(transport, url=proxy.url)
    final = monitor.watch(ids, timeout=300, on_update=on_update)
    assert final[ids[0]].status == "completed"
    assert monitor.drops >= 1 and monitor.reconnects >= 1
    after = updates[cut_at[0] :]
    assert any(u.progress is not None and u.backend == "events" for u in after), [
        (u.backend, u.progress) for u in after
    ]
