"""A sweep plan sent as batch data to the real server: its items carry exactly plan.items()."""

from __future__ import annotations

import pytest

from invokekit.api import Transport
from invokekit.explore import plan_sweeps


def _graph() -> dict:
    # model-free nodes whose fields the batch fills in; nothing heavy runs
    return {
        "id": "explore-plan",
        "nodes": {
            "n": {"id": "n", "type": "integer", "value": 0, "use_cache": False},
            "f": {"id": "f", "type": "float", "value": 0.0, "use_cache": False},
            "s": {"id": "s", "type": "string", "value": "", "use_cache": False},
        },
        "edges": [],
    }


@pytest.mark.server
def test_server_enqueues_the_product_of_groups_with_zipped_names(invokeai_sandbox) -> None:
    plan = plan_sweeps({"seed": [11, 12]}, {"prompt": ["a cat", "a dog", "a fox"], "cfg": [3.5, 5.0, 7.0]}, runs=1)
    places = {"seed": [("n", "value")], "prompt": [("s", "value")], "cfg": [("f", "value")]}
    batch = {"graph": _graph(), "data": plan.batch_data(lambda name: places[name]), "runs": 1,
             "origin": "invokekit-test", "destination": "invokekit-test"}
    transport = Transport(invokeai_sandbox.url)
    answer = transport.request("POST", "/api/v1/queue/default/enqueue_batch", json={"batch": batch})
    try:
        assert answer["enqueued"] == plan.count == 6
        by_place = {(node, field): name for name, spots in places.items() for node, field in spots}
        seen = []
        for item_id in sorted(answer["item_ids"]):  # the answer lists them newest first
            item = transport.request("GET", f"/api/v1/queue/default/i/{item_id}")
            seen.append({by_place[(v["node_path"], v["field_name"])]: v["value"] for v in item["field_values"]})
        assert seen == plan.items()
    finally:
        transport.request("PUT", "/api/v1/queue/default/cancel_by_batch_ids",
                          json={"batch_ids": [answer["batch"]["batch_id"]]})
        transport.close()
