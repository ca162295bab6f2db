"""An enqueue the server commits late is never sent twice (issue 16, points 3 and 4).

Through a loopback proxy: the request reaches the real server seconds after the client gave up on
it (a timeout), or a gateway answers 504 at once while still forwarding it. The client keeps asking
the server for its batch id for the request timeout plus a margin before any second POST, so the
server ends with exactly the items asked for.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _faultproxy import FaultProxy, Rules

from invokekit.client import Client
from invokekit.client._submit import RECOVERY_MARGIN
from invokekit.results import read_journal

TIMEOUT = 1.0
LATE = 8.0  # later than the old fixed 5 s of asking, within the request timeout plus the margin


def small_graph() -> dict:
    return {
        "nodes": {
            "blank": {"id": "blank", "type": "blank_image", "width": 16, "height": 16, "is_intermediate": True},
            "resize": {"id": "resize", "type": "img_resize", "width": 24, "height": 24, "use_cache": False},
        },
        "edges": [
            {"source": {"node_id": "blank", "field": "image"}, "destination": {"node_id": "resize", "field": "image"}}
        ],
    }


def is_enqueue(method: str, path: str) -> bool:
    return method == "POST" and path.endswith("/enqueue_batch")


@pytest.mark.server
@pytest.mark.parametrize("answer", [None, 504], ids=["delivered late", "gateway 504 while forwarding"])
def test_a_late_committed_enqueue_is_sent_once(invokeai_sandbox, tmp_path: Path, answer: int | None) -> None:
    assert LATE < TIMEOUT + RECOVERY_MARGIN
    rules = Rules(late=is_enqueue, late_seconds=LATE, late_answer=answer)
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, Client(proxy.url, timeout=TIMEOUT) as client:
        job = client.submit(small_graph(), runs=3, journal=tmp_path / "journal.jsonl")
        posts = sum(1 for m, p in rules.seen if is_enqueue(m, p))
        deadline = time.monotonic() + 3 * LATE  # let every POST the proxy holds reach the server
        while rules.late_forwarded < posts and time.monotonic() < deadline:
            time.sleep(0.2)
    assert posts == 1  # never a second POST
    with Client(invokeai_sandbox.url) as direct:
        assert direct.queue.batch_status(job.batch_id)["total"] == 3
        assert len(job.item_ids) == 3
        results = direct.job(job.batch_id).wait(monitor="api", timeout=120)
        assert [r.item_id for r in results] == job.item_ids
    [entry] = read_journal(tmp_path / "journal.jsonl")
    assert entry.item_ids == job.item_ids
