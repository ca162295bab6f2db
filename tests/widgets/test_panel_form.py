"""The panel built from a workflow's form, on the real sandbox: the fields reach the server's graph,
an uploaded image lands in the image input, the form's board is where the image goes."""

from __future__ import annotations

import io
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest
from formwf import FORM_KINDS, SD15, SD15_KINDS, form_builder_workflow
from PIL import Image

from invokekit import Client
from invokekit.widgets import GenerationPanel


@pytest.fixture(scope="module")
def client(invokeai_sandbox: Any) -> Client:
    return Client(invokeai_sandbox.url, db_path=invokeai_sandbox.db_path)


def _png(color: tuple[int, int, int]) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), color).save(buf, format="PNG")
    return buf.getvalue()


def _pick(upload: widgets.FileUpload, name: str, content: bytes) -> None:
    """What the browser sends when a file is picked (ipywidgets 8's value: a tuple of file dicts)."""
    upload.value = (
        {
            "name": name,
            "type": "image/png",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": datetime.now(UTC),
        },
    )


@pytest.mark.server
def test_a_form_builder_panel_runs_its_fields_and_an_uploaded_image(client: Client, tmp_path: Path) -> None:
    panel = GenerationPanel(form_builder_workflow(), client, out_dir=tmp_path, monitor="api")
    assert {label: f.kind for label, f in panel.fields.items()} == FORM_KINDS
    assert panel.fields["Model"].widget.value == "tiny-sd15"
    assert "cannot reach" not in panel.status.value
    image = panel.fields["Initial image"]
    _pick(image.upload, "red.png", _png((200, 20, 20)))
    name = image.value_widget.value
    assert name.endswith(".png") and client.images.dto(name)["image_name"] == name
    assert image.thumbnail.layout.display == "" and image.thumbnail.value[:4] == b"\x89PNG"
    prompt = f"a repainted red square, form test {random.randint(0, 10**9)}"
    panel.fields["Positive Prompt"].widget.value = prompt
    panel.fields["Steps"].widget.value = 2
    panel.fields["Scheduler"].widget.value = "euler"
    panel.fields["Fp32"].widget.value = True
    panel.generate_button.click()
    assert panel.wait(timeout=180) == "completed", panel.error_box.value
    [result] = panel.results
    graph = client.queue.item(result.item_id)["session"]["graph"]["nodes"]
    i2l = next(n for n in graph.values() if n["type"] == "i2l")
    assert i2l["image"] == {"image_name": name} and i2l["fp32"] is True
    denoise = next(n for n in graph.values() if n["type"] == "denoise_latents")
    assert (denoise["steps"], denoise["scheduler"], denoise["denoising_start"]) == (2, "euler", 0.5)
    assert prompt in str(graph)
    assert len(panel.images) == 1


@pytest.mark.server
def test_a_schema_3_panel_shows_its_exposed_fields(client: Client, tmp_path: Path) -> None:
    panel = GenerationPanel(SD15, client, out_dir=tmp_path)
    assert {label: f.kind for label, f in panel.fields.items()} == SD15_KINDS
    assert list(panel.fields["Model"].widget.options) == ["tiny-sd15"]
    # the familiar knob and the form field are one widget: no two controls for one place
    assert panel.controls["width"].widget is panel.fields["Width"].widget


@pytest.mark.server
def test_zero_steps_is_refused_visibly(client: Client, tmp_path: Path) -> None:
    panel = GenerationPanel(form_builder_workflow(), client, out_dir=tmp_path)
    panel.timings.value = "<table>old</table>"
    panel.controls["steps"].widget.value = 0
    assert panel.controls["steps"].widget is panel.fields["Steps"].widget
    panel.generate_button.click()
    assert panel.wait(timeout=30) == "error"
    assert "Steps must be at least 1" in panel.status.value and panel.job is None
    assert panel.timings.value == "", "no timings of an earlier run under an error"


@pytest.mark.server
def test_a_2x2_sweep_shows_a_labelled_grid(client: Client, tmp_path: Path) -> None:
    from invokekit.explore import read_grid_info

    panel = GenerationPanel(form_builder_workflow(), client, out_dir=tmp_path, monitor="api")
    image = panel.fields["Initial image"]
    _pick(image.upload, "blue.png", _png((20, 20, 200)))
    panel.random_seed.value = False
    panel.controls["seed"].widget.value = random.randint(0, 2**31)
    (x, xs), (y, ys) = panel.sweeper.rows
    x.value, xs.value = "Steps", "1, 2"
    y.value, ys.value = "CFG Scale", "3, 5.5"
    panel.generate_button.click()
    assert panel.wait(timeout=300) == "completed", panel.error_box.value
    assert len(panel.results) == 4 and len(panel.images) == 4
    assert panel.grid.layout.display == "" and panel.grid.value[:4] == b"\x89PNG"
    grid_file = tmp_path / "grid.png"
    grid_file.write_bytes(panel.grid.value)
    info = read_grid_info(grid_file)
    assert info["x"]["name"] == "Steps" and info["y"]["name"] == "CFG Scale", info
    assert [str(v) for v in info["x"]["values"]] == ["1", "2"] and [float(v) for v in info["y"]["values"]] == [3, 5.5]
    captions = " ".join(card.children[1].value for card in panel.gallery.cards.children)
    for text in ("Steps=1", "Steps=2", "CFG Scale=3", "CFG Scale=5.5"):
        assert text in captions
    assert "Steps=3" not in captions, "a swept field is captioned with its swept value only"
    # "use these settings" puts one card's values back into the form
    card = panel.gallery.cards.children[0]
    card.children[2].children[1].click()
    assert f"Steps={panel.fields['Steps'].widget.value}" in card.children[1].value


@pytest.mark.server
def test_the_queue_view_lists_a_foreign_item_and_cancels_ours(client: Client, tmp_path: Path) -> None:
    panel = GenerationPanel(form_builder_workflow(), client, out_dir=tmp_path, monitor="api")
    _pick(panel.fields["Initial image"].upload, "green.png", _png((20, 200, 20)))
    other = Client(client.url)
    client.queue.pause()
    try:
        foreign = other.submit(form_builder_workflow(), sets={"seed": random.randint(0, 2**31)}, check=False)
        panel.generate_button.click()
        deadline = time.monotonic() + 60
        while panel.job is None and panel.running and time.monotonic() < deadline:
            time.sleep(0.05)
        assert panel.job is not None, panel.error_box.value
        panel.queue_view.refresh()
        rows = {int(s["item_id"]): s for s in panel.queue_view.items}
        assert foreign.item_ids[0] in rows and panel.job.item_ids[0] in rows
        texts = [row.children[0].value for row in panel.queue_view.rows.children]
        assert any(f"item {foreign.item_ids[0]}:" in t and "other" in t for t in texts)
        assert any(f"item {panel.job.item_ids[0]}:" in t and "ours" in t for t in texts)
        ours_row = next(
            r for r in panel.queue_view.rows.children if f"item {panel.job.item_ids[0]}:" in r.children[0].value
        )
        foreign_row = next(
            r for r in panel.queue_view.rows.children if f"item {foreign.item_ids[0]}:" in r.children[0].value
        )
        assert len(foreign_row.children) == 1, "no Cancel on another user's item"
        ours_row.children[1].click()
        assert client.queue.item(panel.job.item_ids[0])["status"] == "canceled"
        assert client.queue.item(foreign.item_ids[0])["status"] == "pending"
    finally:
        client.queue.resume()
    assert panel.wait(timeout=120) == "canceled", panel.error_box.value
    foreign.cancel()


def test_save_writes_the_workflow_with_the_panels_values(tmp_path: Path) -> None:
    from invokekit.workflow import Workflow

    panel = GenerationPanel(form_builder_workflow(), Client("http://127.0.0.1:9", timeout=2), out_dir=tmp_path)
    panel.fields["Positive Prompt"].widget.value = "saved from the panel"
    panel.fields["Steps"].widget.value = 9
    path = panel.save()
    assert path is not None and path.parent == tmp_path and "saved" in panel.status.value
    saved = Workflow.load(path)
    values = {(p.node_id, p.field): p.value for p in saved.parameters}
    assert "saved from the panel" in values.values() and 9 in values.values()
