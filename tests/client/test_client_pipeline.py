"""``Client.submit`` does the whole job: pre-flight by default, nothing sent when it would be refused,
values set and typed by the library, the board looked up on the server once (a new board works)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from _graphs import blank_resize, tiny_sdxl

from invokekit.client import Client
from invokekit.errors import ParameterError, PreflightError
from invokekit.workflow import Batch, Workflow

SDXL = "Text to Image - SDXL"
TINY = {k: v for k, v in tiny_sdxl(128, 2).items() if k != "model"}  # each test sets the main model, or not


def small_graph() -> Batch:
    """blank image -> resize; only the resize node keeps its image."""
    return Batch.of(blank_resize(24, 24))


@pytest.mark.server
def test_an_unset_model_is_refused_before_anything_is_sent(client: Client, tmp_path: Path) -> None:
    wf = client.workflow(SDXL).set(**TINY)  # the main model is left unset
    before = client.queue.item_ids()
    with pytest.raises(PreflightError) as info:
        client.submit(wf, journal=tmp_path / "j.jsonl")
    assert [(p.node_label, p.field) for p in info.value.problems] == [("sdxl_model_loader", "model")]
    assert client.queue.item_ids() == before  # the queue is unchanged
    assert not (tmp_path / "j.jsonl").exists()  # nothing was even journaled

    # without the check the server takes it (and the item would fail when it runs): the
    # pre-flight is what protects a notebook user
    job = client.submit(wf, check=False)
    try:
        assert set(client.queue.item_ids()) - set(before) == set(job.item_ids)
    finally:
        job.cancel()


@pytest.mark.server
def test_a_board_created_after_the_first_submission_takes_the_images(client: Client) -> None:
    wf = client.workflow(SDXL).set(model="tiny-sdxl", **TINY)
    client.submit(small_graph(), check=True).result(timeout=120, monitor="api")  # the context is cached now
    name = f"invokekit-new-board-{uuid.uuid4().hex[:8]}"
    board = client.boards.create(name)
    try:
        job = client.submit(wf, board=name)
        [result] = job.result(timeout=300, monitor="api")
        assert client.images.dto(result.images[0].image_name)["board_id"] == board["board_id"]
        assert any(b["board_name"] == name for b in client.context().boards or [])  # the cache took the new list
        with pytest.raises(ParameterError, match="does not exist"):
            client.submit(wf, board=f"{name}-never-made")
    finally:
        client.boards.delete(board["board_id"], include_images=True)


@pytest.mark.server
def test_sets_and_sweeps_from_text_are_typed_by_the_fields(client: Client) -> None:
    before = client.queue.item_ids()
    with pytest.raises(PreflightError, match="multiple of 8") as info:  # checked with the rest: nothing sent
        client.prepare(SDXL, sets={"model": "tiny-sdxl", "width": "130"}, text=True)
    assert {p.field for p in info.value.problems} == {"width", "vae_model"}
    sets = {"model": "tiny-sdxl", "vae": "tiny-sdxl-vae", "positive_prompt": "7", "steps": "2"}
    batch = client.prepare(SDXL, sets=sets, sweep={"seed": ["1", "2"], "cfg_scale": ["3", "4.5"]}, text=True)
    assert client.queue.item_ids() == before
    assert [entry["items"] for [entry] in batch.data] == [[1, 2], [3, 4.5]]
    wf = client.load(SDXL)
    [(prompt, text_field)], [(denoise, steps)] = wf.places("positive_prompt"), wf.places("steps")
    assert batch.graph["nodes"][prompt][text_field] == "7"  # a prompt stays text
    assert batch.graph["nodes"][denoise][steps] == 2
    assert batch.item_count == 4

    raw = client.prepare(small_graph(), sets={"resize.width": "40"}, sweep={"resize.height": ["8", "16"]},
                         text=True)
    assert raw.graph["nodes"]["resize"]["width"] == 40 and raw.data[0][0]["items"] == [8, 16]
    with pytest.raises(ParameterError, match=r"node_id\.field"):
        client.prepare(small_graph(), sets={"width": 40})


@pytest.mark.server
def test_api_json_files_and_enqueue_bodies_load_as_batches(client: Client, tmp_path: Path) -> None:
    body = {"batch": {**small_graph().to_dict(), "runs": 2}, "prepend": True}
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    loaded = client.load(path)
    assert isinstance(loaded, Batch) and loaded.runs == 2 and loaded.prepend and loaded.file == str(path)
    assert isinstance(client.load(SDXL), Workflow)
    job = client.submit(path, sweep={"resize.width": [8, 16]})
    assert len(job.item_ids) == 4
    results = job.result(timeout=120, monitor="api")
    assert sorted(r.images[0].width for r in results) == [8, 8, 16, 16]
