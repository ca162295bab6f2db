"""After a wait saw every item finish, reading their results gets :data:`COLLECT_GRACE` seconds,
even past the wait's own timeout (and no more): a slow read of finished work is not a timeout.

A fault proxy in front of the real server makes the read slow. The monitor (polling the API)
reads the finished item whole; the proxy drops that answer's ``session``, as a monitor that did
not see the outputs (events of a batch not proven) hands over, so the results are read once more:
that read is the one the proxy holds back.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from _faultproxy import FaultProxy, Rules
from _graphs import blank_resize

from invokekit.client import Client, Job
from invokekit.client._job import COLLECT_GRACE
from invokekit.errors import ServerUnavailable
from invokekit.results import ItemResult

pytestmark = pytest.mark.server

TIMEOUT = 2.0  # the wait's own timeout: the finished item is seen well within it


def _item_read(method: str, path: str) -> bool:
    return method == "GET" and "/i/" in path  # the monitor's read of the one item


def _results_read(method: str, path: str) -> bool:
    return method == "POST" and path.endswith("/items_by_ids")  # the read of the results


def _without_session(body: bytes) -> bytes:
    return json.dumps({k: v for k, v in json.loads(body).items() if k != "session"}).encode()


def _rules(read_delay: float) -> Rules:
    """The monitor's item read loses its session; the results' read is answered ``read_delay`` s late."""
    return Rules(stall_response=_results_read, stall_seconds=read_delay, rewrite_body=(_item_read, _without_session))


@pytest.fixture
def finished_batch(invokeai_sandbox) -> Iterator[Job]:
    """A batch of one item, already completed on the server (so the wait sees it at once)."""
    with Client(invokeai_sandbox.url) as direct:
        job = direct.submit(blank_resize(40, 24, blank=(8 + int(time.time()) % 50, 8)))
        [done] = job.wait(monitor="api", timeout=120)
        assert done.status == "completed"
        yield job


def _reattached(client: Client, job: Job) -> Job:
    return client.job(job.batch_id, item_ids=job.item_ids, output_nodes=job.output_nodes, labels=job.labels)


def _collect(job: Job, how: str) -> list[ItemResult]:
    if how == "wait":
        return job.wait(monitor="api", timeout=TIMEOUT)
    return list(job.as_completed(monitor="api", timeout=TIMEOUT))  # streamed: the same grace


@pytest.mark.parametrize("how", ["wait", "as_completed"])
def test_a_slow_result_read_after_the_wait_finishes_within_the_grace(invokeai_sandbox, finished_batch: Job,
                                                                      how: str) -> None:
    delay = TIMEOUT + 1.5  # longer than the whole wait may take, shorter than the grace
    assert delay < COLLECT_GRACE
    rules = _rules(delay)
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, Client(proxy.url) as client:
        job = _reattached(client, finished_batch)
        began = time.monotonic()
        [result] = _collect(job, how)
        took = time.monotonic() - began
    assert result.status == "completed" and [image.image_name for image in result.images] == [
        image.image_name for image in finished_batch.results[0].images]
    assert rules.dropped == 1  # the results' read was the slow one, and it was waited for
    assert took >= delay


@pytest.mark.parametrize("how", ["wait", "as_completed"])
def test_a_result_read_slower_than_the_grace_ends_the_wait_at_the_grace(invokeai_sandbox, finished_batch: Job,
                                                                        how: str) -> None:
    delay = 6 * COLLECT_GRACE  # the proxy would answer only after this
    rules = _rules(delay)
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, Client(proxy.url) as client:
        job = _reattached(client, finished_batch)
        began = time.monotonic()
        with pytest.raises(ServerUnavailable, match="at the deadline") as info:
            _collect(job, how)
        took = time.monotonic() - began
    assert rules.dropped == 1, rules.seen
    assert COLLECT_GRACE - 0.5 <= took < 3 * COLLECT_GRACE, (took, info.value)  # bounded by the grace
    assert job.results is None
