"""The transport against the real server, with faults injected by the loopback proxy:
a response cut mid-body is a ServerUnavailable (never a raw requests error), GETs are retried,
and a POST is sent exactly once whatever happens."""

from __future__ import annotations

import pytest
from _faultproxy import FaultProxy, Rules

from invokekit.client import Transport
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
