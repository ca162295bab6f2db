"""The transport against the real server, with faults injected by the loopback proxy:
a response cut mid-body is a ServerUnavailable (never a raw requests error), reads are retried
(connection errors, 502/503/504, honouring Retry-After, each retry logged), and a POST that
writes (the enqueue) is sent exactly once whatever happens."""

from __future__ import annotations

import logging
import re
import time
import uuid

import pytest
from _faultproxy import FaultProxy, Rules

from invokekit.api import Queue, Transport
from invokekit.errors import GraphRejected, ServerUnavailable


def is_status(method: str, path: str) -> bool:
    return method == "GET" and path.endswith("/queue/default/status")


@pytest.mark.server
def test_truncated_json_response_is_server_unavailable_after_retries(invokeai_sandbox) -> None:
    rules = Rules(truncate_body=is_status)
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        transport = Transport(proxy.url, retries=2, timeout=10)
        with pytest.raises(ServerUnavailable, match="did not answer"):
            transport.get_json("/api/v1/queue/default/status")
        assert sum(1 for m, p in rules.seen if is_status(m, p)) == 3  # one try + two retries
        assert transport.get_json("/api/v1/app/version")["version"] == "6.14.2"  # others pass


@pytest.mark.server
def test_post_is_never_retried(invokeai_sandbox) -> None:
    def is_post(method: str, path: str) -> bool:
        return method == "POST"

    rules = Rules(drop_response=is_post)
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        transport = Transport(proxy.url, retries=5, timeout=10)
        with pytest.raises(ServerUnavailable):
            transport.post_json("/api/v1/queue/default/items_by_ids", {"item_ids": []})
        assert sum(1 for m, _ in rules.seen if m == "POST") == 1


@pytest.mark.server
def test_422_names_the_node_and_field(invokeai_sandbox) -> None:
    transport = Transport(invokeai_sandbox.url)
    graph = {"id": "g", "nodes": {"n1": {"id": "n1", "type": "integer", "value": "not a number"}}, "edges": []}
    with pytest.raises(GraphRejected) as info:
        transport.post_json("/api/v1/queue/default/enqueue_batch", {"batch": {"graph": graph, "runs": 1}})
    assert info.value.status == 422
    assert any(p.node_id == "n1" for p in info.value.problems), info.value.problems


# --- the retry policy, against the real server through the fault proxy ---------------------------

HTTP_LOG = "invokekit.http"


def small_batch(destination: str) -> dict:
    graph = {"id": "g", "nodes": {"n": {"id": "n", "type": "integer", "value": 3, "use_cache": False}}, "edges": []}
    return {"batch_id": str(uuid.uuid4()), "graph": graph, "runs": 1, "destination": destination}


def is_enqueue(method: str, path: str) -> bool:
    return method == "POST" and path.endswith("/enqueue_batch")


def retry_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == HTTP_LOG and r.levelno == logging.WARNING]


@pytest.mark.server
def test_503_with_retry_after_is_waited_out_then_retried(invokeai_sandbox, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=HTTP_LOG)
    rules = Rules(answer=is_status, answer_status=503, answer_headers={"Retry-After": "1"})
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        queue = Queue(Transport(proxy.url, timeout=10))
        assert queue.status()["queue"]["queue_id"] == "default"  # the second attempt got through
    assert rules.answered == 1 and [m for m, p in rules.seen if is_status(m, p)] == ["GET", "GET"]
    assert rules.seen_at[1] - rules.seen_at[0] >= 1.0  # never sooner than the server asked
    [message] = retry_records(caplog)
    assert "GET /api/v1/queue/default/status" in message and "HTTP 503" in message
    assert "Retry-After 1 s" in message and "attempt 2 of 3" in message


@pytest.mark.server
def test_test_mode_skips_the_waits_but_still_retries_and_logs(invokeai_sandbox, caplog, no_waits) -> None:
    caplog.set_level(logging.WARNING, logger=HTTP_LOG)
    rules = Rules(answer=is_status, answer_times=2, answer_headers={"Retry-After": "30"})
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        started = time.monotonic()
        Queue(Transport(proxy.url, timeout=10)).status()
        took = time.monotonic() - started
    assert rules.answered == 2 and len(rules.seen) == 3
    assert took < 20  # two 30 s waits were asked for; test mode skips them
    assert len(retry_records(caplog)) == 2 and all("test mode" in m for m in retry_records(caplog))


@pytest.mark.server
def test_a_retry_after_beyond_the_limit_is_not_waited_for(invokeai_sandbox, no_waits) -> None:
    rules = Rules(answer=is_status, answer_times=5, answer_headers={"Retry-After": "3600"})
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, pytest.raises(ServerUnavailable) as info:
        Queue(Transport(proxy.url, timeout=10)).status()
    assert info.value.status == 503 and len(rules.seen) == 1
    assert str(info.value).endswith(f"Is InvokeAI running at {proxy.url}? Set --url or INVOKEAI_URL.")


@pytest.mark.server
def test_exhausted_retries_on_503_raise_server_unavailable(invokeai_sandbox, no_waits, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=HTTP_LOG)
    rules = Rules(answer=is_status, answer_times=10, answer_status=502)
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, pytest.raises(ServerUnavailable) as info:
        Queue(Transport(proxy.url, timeout=10, retries=3)).status()
    assert info.value.status == 502 and rules.answered == 4
    attempts = [re.search(r"attempt \d of \d", m).group(0) for m in retry_records(caplog)]  # type: ignore[union-attr]
    assert attempts == ["attempt 2 of 4", "attempt 3 of 4", "attempt 4 of 4"]


@pytest.mark.server
def test_a_reset_connection_is_retried_for_reads(invokeai_sandbox, caplog, no_waits) -> None:
    caplog.set_level(logging.WARNING, logger=HTTP_LOG)
    reset_once: set[str] = set()

    def first_of_each(method: str, path: str) -> bool:  # the first status GET, the first summaries POST
        kind = "get" if is_status(method, path) else "post" if path.endswith("/item_summaries_by_ids") else None
        if kind is None or kind in reset_once:
            return False
        reset_once.add(kind)
        return True

    rules = Rules(reset=first_of_each, reset_times=2)
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        queue = Queue(Transport(proxy.url, timeout=10, token="secret-token-never-logged"))
        assert queue.status()["queue"]["queue_id"] == "default"
        assert queue.summaries([2**31 - 1]) == []  # a read-only POST: retried like a GET
    assert rules.resets == 2 and len(rules.seen) == 4
    [get, post] = retry_records(caplog)
    assert get.startswith("GET /api/v1/queue/default/status: ") and "reset" in get.lower()
    assert post.startswith("POST /api/v1/queue/default/item_summaries_by_ids: ")
    assert "secret-token" not in caplog.text


@pytest.mark.server
@pytest.mark.parametrize("fault", ["503", "connection reset", "answer lost"])
def test_post_enqueue_is_never_retried(invokeai_sandbox, fault: str, no_waits, caplog) -> None:
    caplog.set_level(logging.WARNING, logger=HTTP_LOG)
    rules = {
        "503": Rules(answer=is_enqueue, answer_times=5, answer_headers={"Retry-After": "0"}),
        "connection reset": Rules(reset=is_enqueue, reset_times=5),
        "answer lost": Rules(drop_response=is_enqueue),
    }[fault]
    destination = f"ik-api-{uuid.uuid4().hex[:8]}"
    batch = small_batch(destination)
    direct = Queue(Transport(invokeai_sandbox.url))
    try:
        with FaultProxy(invokeai_sandbox.url, rules) as proxy, pytest.raises(ServerUnavailable):
            Queue(Transport(proxy.url, timeout=10, retries=5)).enqueue_batch(batch)
        assert [m for m, p in rules.seen if is_enqueue(m, p)] == ["POST"]  # sent exactly once
        assert retry_records(caplog) == []
        # only the lost answer reached the server (once); the others never did
        assert direct.batch_status(batch["batch_id"])["total"] == (1 if fault == "answer lost" else 0)
    finally:
        direct.delete_by_destination(destination)
