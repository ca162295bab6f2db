"""The client with real workflows and server resources: library, models, boards, seed sweeps."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from _graphs import tiny_sdxl

from invokekit.client import Client
from invokekit.errors import GraphRejected, ParameterError, PreflightError
from invokekit.workflow import ServerContext, Workflow

SDXL = "Text to Image - SDXL"


@pytest.mark.server
def test_namespaces_and_context(client: Client) -> None:
    main = client.models.find("tiny-sdxl", type="main")
    assert main["base"] == "sdxl"
    with pytest.raises(ParameterError):
        client.models.find("tiny-sdxl", type="vae")
    by_name = client.workflows.get(SDXL)
    listed = {w["name"]: w["workflow_id"] for w in client.workflows.list()}
    assert client.workflows.get(listed[SDXL]) == by_name
    with pytest.raises(ParameterError):
        client.workflows.get("no such workflow, surely")
    context = client.context()
    assert isinstance(context, ServerContext) and context is client.context()  # cached
    assert any(m["name"] == "tiny-sdxl" for m in context.models or [])
    assert "paths" in (context.schema or {}) and isinstance(context.boards, list)


@pytest.mark.server
def test_a_sweep_of_four_seeds_is_one_post_with_four_distinct_images(client: Client, tmp_path: Path) -> None:
    wf = Workflow.from_library(client, SDXL).set(**tiny_sdxl(128, 2, positive_prompt="a red boat"))
    client.context()  # fetched once, before counting
    before = client.transport.requests_sent
    job = client.submit(wf, sweep={"seed": [1, 2, 3, 4]})
    assert client.transport.requests_sent - before == 1
    assert len(job.item_ids) == 4
    results = job.result(timeout=300)
    assert all(r.status == "completed" and len(r.images) == 1 for r in results)
    assert {i.node_id for r in results for i in r.images} == set(wf.output_nodes)
    paths = job.download(tmp_path)
    assert len(paths) == 4 and len({p.read_bytes() for p in paths}) == 4
    assert set(job.timings.as_dict()["client"]) >= {"convert", "submit", "wait", "download"}


@pytest.mark.server
def test_board_by_name_receives_the_images(client: Client) -> None:
    name = f"invokekit-test-{uuid.uuid4().hex[:8]}"
    board = client.boards.create(name)
    try:
        graph = {
            "nodes": {"blank": {"id": "blank", "type": "blank_image", "width": 8, "height": 8, "use_cache": False}},
            "edges": [],
        }
        [result] = client.submit(graph, board=name).result(timeout=120, monitor="api")
        assert client.images.dto(result.images[0].image_name)["board_id"] == board["board_id"]
    finally:
        client.boards.delete(board["board_id"], include_images=True)


@pytest.mark.server
def test_a_rejected_graph_names_the_node_by_its_workflow_label(client: Client) -> None:
    wf = Workflow.from_library(client, SDXL).set(model="tiny-sdxl", vae="tiny-sdxl-vae")
    batch = client.prepare(wf)  # converted and checked: the server would take it
    noise = next(k for k, v in batch.graph["nodes"].items() if v["type"] == "noise")
    batch.set({f"{noise}.width": "wide"})  # then one value the pre-flight would catch is broken

    with pytest.raises(GraphRejected) as info:
        client.submit(batch)  # a built batch is not pre-flighted unless asked: the server answers
    [problem] = info.value.problems
    assert (problem.node_id, problem.node_label, problem.field) == (noise, wf.node_label(noise), "width")
    with pytest.raises(PreflightError) as caught:
        client.submit(batch, check=True)
    assert [(p.node_id, p.field) for p in caught.value.problems] == [(noise, "width")]
