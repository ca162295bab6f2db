"""The panel built from a workflow's form, on the real sandbox: the fields reach the server's graph,
an uploaded image lands in the image input, the form's board is where the image goes."""

from __future__ import annotations

import io
import random
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
