"""ApiMonitor cycles: a constant-size look at the batch's status, the items read only when it changed.

The jobs here go to a queue id of their own (the server processes every queue), so no other test
session's jobs move that queue's status while we look: "nothing changed" is deterministic."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _graphs import integer_div

from invokekit.client import Transport
from invokekit.monitors import ApiMonitor

pytestmark = pytest.mark.server


class PathRecorder(Transport):
    """The real transport, noting the path of every request (to count what a cycle sends)."""

    def __init__(self, url: str) -> None:
        super().__init__(url, timeout=10.0)
        self.paths: list[str] = []

    def request(self, method: str, path: str, **kw: Any) -> Any:
        self.paths.append(path.split("?")[0])
        return super().request(method, path, **kw)


@pytest.fixture
def private_queue(ik_server: Any) -> Iterator[tuple[str, Callable[..., list[int]]]]:
    queue_id = f"ik-cycles-{random.randrange(10**9)}"
    transport = Transport(ik_server.url, timeout=10.0)

    def enqueue(*, fail: bool = False, runs: int = 1) -> list[int]:
        graph = integer_div(fail=fail, id_prefix="ik-cycles")
        batch = {"graph": graph, "runs": runs, "origin": "ik-monitor-test", "destination": "ik"}
        body = transport.post_json(f"/api/v1/queue/{queue_id}/enqueue_batch", {"batch": batch, "prepend": True})
        return sorted(body["item_ids"])

    yield queue_id, enqueue
    transport.request("DELETE", f"/api/v1/queue/{queue_id}/d/ik")  # our throw-away items
    transport.close()


def test_a_look_reads_the_items_only_when_their_batch_changed(ik_server, private_queue):
    queue_id, enqueue = private_queue
    ids = enqueue(runs=3)  # one batch
    transport = PathRecorder(ik_server.url)
    try:
        monitor = ApiMonitor(transport, queue_id=queue_id)
        final = monitor.watch(ids, timeout=60)
        assert [u.status for u in final.values()] == ["completed"] * 3
        batch_path = f"/api/v1/queue/{queue_id}/b/{final[ids[0]].batch_id}/status"
        first = monitor.look(ids, force=True)  # the batch's status now, then a read of the items
        assert first is not None and {u.item_id for u in first} == set(ids)
        transport.paths.clear()
        checks = monitor.checks
        for _ in range(3):  # nothing moves in this batch: one status GET per look, no item read
            assert monitor.look(ids) is None
            assert monitor.look(ids[:1]) is None
        assert transport.paths == [batch_path] * 6 and monitor.checks - checks == 6
    finally:
        transport.close()


def test_items_of_several_batches_are_read_every_cycle_and_every_change_is_seen(ik_server, private_queue):
    queue_id, enqueue = private_queue
    ids = enqueue(runs=2) + enqueue(fail=True)
    transport = PathRecorder(ik_server.url)
    try:
        monitor = ApiMonitor(transport, queue_id=queue_id)
        final = monitor.watch(ids, timeout=60)
        assert sorted(u.status for u in final.values()) == ["completed", "completed", "failed"]
        transport.paths.clear()
        for _ in range(2):
            assert monitor.look(ids) is not None
        assert (
            transport.paths
            == [f"/api/v1/queue/{queue_id}/item_summaries_by_ids", f"/api/v1/queue/{queue_id}/items_by_ids"] * 2
        )
        [more] = enqueue()  # a new batch's single item: looks at its batch once read, until it finishes
        assert monitor.watch([more], timeout=60)[more].status == "completed"
    finally:
        transport.close()


def test_the_api_monitor_still_sees_every_final_status(transport, jobs):
    monitor = ApiMonitor(transport)
    final = monitor.watch(jobs.all, timeout=60)
    assert {i: u.status for i, u in final.items()} == jobs.expected()
    assert final[jobs.failed[0]].error_type is not None  # terminal items are read in full
