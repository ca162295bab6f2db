"""End to end on the sandbox: the shipped "Text to Image - SDXL" file, converted by invokekit, runs on InvokeAI."""

from __future__ import annotations

from pathlib import Path

import pytest
from _graphs import tiny_sdxl
from PIL import Image
from wfbuild import SDXL

from invokekit.client import Client
from invokekit.workflow import Workflow


@pytest.mark.server
def test_shipped_sdxl_workflow_runs_and_yields_a_png_of_the_requested_size(
    client: Client, invokeai_sandbox, tmp_path: Path
) -> None:
    context = client.context()
    wf = Workflow.load(SDXL).set(
        model=invokeai_sandbox.models["main"], vae=invokeai_sandbox.models["vae"],
        positive_prompt="a lighthouse on a cliff at dusk", width=192, height=128, steps=2, scheduler="euler",
    )
    assert wf.preflight(context) == []
    batch = wf.to_batch(context=context)
    assert batch["graph"]["nodes"][wf.output_nodes[0]]["is_intermediate"] is False
    job = client.submit(wf)
    [result] = job.result(timeout=300)
    assert result.status == "completed"
    [image] = result.images
    assert image.node_id == wf.output_nodes[0] and (image.width, image.height) == (192, 128)
    [path] = job.download(tmp_path)
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size == (192, 128)


@pytest.mark.server
def test_the_server_accepts_the_batch_body_as_built(client: Client) -> None:
    """The exact ``to_batch`` body (graph, embedded workflow, sweep data) goes through enqueue_batch."""
    wf = Workflow.load(SDXL).set(**tiny_sdxl(64, 1))
    batch = wf.to_batch(context=client.context(), sweep={"seed": [11, 12]}, runs=1)
    batch["batch_id"] = "invokekit-wf-test-" + batch["graph"]["id"]
    answer = client.transport.post_json("/api/v1/queue/default/enqueue_batch", {"batch": batch, "prepend": False})
    ids = answer["item_ids"]
    try:
        assert answer["enqueued"] == 2 and len(ids) == 2
        seeds = set()
        for item_id in ids:
            item = client.queue.item(item_id)
            seeds.add(item["field_values"][0]["value"])
            assert item["workflow"]["name"] == "Text to Image - SDXL"
        assert seeds == {11, 12}
    finally:
        for item_id in ids:
            client.queue.cancel(item_id)
