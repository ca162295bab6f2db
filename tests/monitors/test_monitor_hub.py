"""The shared socket.io connection: kept across waits, proven batches, reconnection with subscriptions."""

from __future__ import annotations

import time

import pytest
from _graphs import blank_resize

from invokekit.monitors import EventHub, EventMonitor

pytestmark = pytest.mark.server


def _wait_until(condition, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not reached"
        time.sleep(0.01)


def test_many_watches_over_one_hub_open_one_connection(transport, enqueue) -> None:
    hub = EventHub(transport)
    try:
        monitor = EventMonitor(transport, hub=hub)
        for _ in range(5):
            ids = enqueue()
            final = monitor.watch(ids, timeout=60)
            assert final[ids[0]].status == "completed"
        assert (hub.opened, hub.connections, hub.drops) == (1, 1, 0)
        assert hub.connected  # kept open after the watches
    finally:
        hub.close()
    assert not hub.connected


def test_a_batch_announced_on_the_live_connection_is_proven(transport) -> None:
    """Its completion comes with the outputs from the events, and no read is needed at all."""
    hub = EventHub(transport)
    try:
        hub.ensure("default")
        batch = {"graph": _image_graph(), "runs": 1, "origin": "ik-monitor-test", "destination": "ik"}
        body = transport.post_json("/api/v1/queue/default/enqueue_batch", {"batch": batch, "prepend": True})
        ids, batch_id = body["item_ids"], body["batch"]["batch_id"]
        monitor = EventMonitor(transport, hub=hub, safety_poll=60)
        final = monitor.watch(ids, timeout=60, batch_id=batch_id)
        update = final[ids[0]]
        assert update.status == "completed" and update.backend == "events"
        assert hub.proven(batch_id, "default")
        assert monitor.checks == 0  # not one API read
        kept = [o for o in update.outputs if not o.intermediate]
        assert [(o.node_id, o.result["width"]) for o in kept] == [("resize", 24)]
        assert [o.node_id for o in update.outputs if o.intermediate] == ["blank"]
    finally:
        hub.close()


def test_a_dropped_connection_is_reopened_and_subscribed_again(transport, enqueue, proxy) -> None:
    hub = EventHub(transport, url=proxy.url)
    try:
        monitor = EventMonitor(transport, hub=hub)
        ids = enqueue()
        assert monitor.watch(ids, timeout=60)[ids[0]].status == "completed"
        proxy.drop_connections()
        _wait_until(lambda: hub.connections == 2 and hub.subscribed("default"))
        assert hub.drops == 1 and hub.opened == 1  # the same socket.io client reconnected
        batch = {"graph": _image_graph(), "runs": 1, "origin": "ik-monitor-test", "destination": "ik"}
        body = transport.post_json("/api/v1/queue/default/enqueue_batch", {"batch": batch, "prepend": True})
        final = monitor.watch(body["item_ids"], timeout=60, batch_id=body["batch"]["batch_id"])
        update = final[body["item_ids"][0]]
        assert update.status == "completed" and update.outputs is not None  # events flow again, proven
    finally:
        hub.close()


def _image_graph() -> dict:
    import random

    return blank_resize(24, 16, blank=(random.randrange(8, 64), 8))


def test_events_are_handled_in_order_in_the_socket_thread(transport, enqueue) -> None:
    """No thread per event: every handler call runs in the one reading thread, in arrival order."""
    import threading

    hub = EventHub(transport)
    threads: list[str] = []
    hub.listen(lambda kind, data: threads.append(threading.current_thread().name))
    try:
        monitor = EventMonitor(transport, hub=hub)
        for _ in range(2):
            ids = enqueue()
            assert monitor.watch(ids, timeout=60)[ids[0]].status == "completed"
        assert len(threads) > 5 and len(set(threads)) == 1, set(threads)
    finally:
        hub.close()
