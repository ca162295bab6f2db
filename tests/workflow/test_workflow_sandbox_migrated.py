"""Workflows of InvokeAI 3.x (schema 1.0.0 and 2.0.0), migrated on load, run on the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from wfbuild import CORPUS_DIR, blank_image_v1, sdxl_v1_text_to_image

from invokekit.client import Client

#: InvokeAI 3.x's own SDXL text-to-image defaults: schema 1.0.0 (3.2 docs) and 2.0.0 (3.6 default workflow)
DEFAULTS_3X = ("invokeai-v3.2.0-docs-SDXL_Text_to_Image.json", "invokeai-v3.6.2-default-SDXL_Text_to_Image.json")


def _run(client: Client, wf, tmp_path: Path) -> tuple[int, int]:
    assert wf.preflight() == []
    [result] = client.submit(wf).result(timeout=300)
    assert result.status == "completed"
    [image] = result.images
    return image.width, image.height


@pytest.mark.server
def test_a_model_free_schema_1_workflow_runs_as_migrated(client: Client, tmp_path: Path) -> None:
    wf = client.workflow(blank_image_v1(96, 64))
    assert wf.load_report.source_version == "1.0.0" and wf.load_report.checked
    assert _run(client, wf, tmp_path) == (96, 64)


@pytest.mark.server
def test_a_schema_1_sdxl_workflow_runs_with_the_model_set_by_name(
    client: Client, invokeai_sandbox, tmp_path: Path
) -> None:
    wf = client.workflow(sdxl_v1_text_to_image())
    wf.set(model=invokeai_sandbox.models["main"], width=128, height=128, steps=2)
    assert _run(client, wf, tmp_path) == (128, 128)


@pytest.mark.server
@pytest.mark.parametrize("name", DEFAULTS_3X)
def test_invokeai_3x_sdxl_defaults_run_on_the_sandbox(
    client: Client, invokeai_sandbox, tmp_path: Path, name: str
) -> None:
    path = CORPUS_DIR / name
    if not path.is_file():
        pytest.skip(f"no published-workflow corpus in {CORPUS_DIR}")
    wf = client.workflow(path)
    assert wf.load_report.source_version in ("1.0.0", "2.0.0") and wf.version == "4.0.0"
    # the 3.x model identifiers could not be kept: pre-flight asks for the models, and only for them
    problems = wf.preflight()
    assert problems and all(p.field in ("model", "vae_model") and "set it" in p.message for p in problems)
    wf.set(model=invokeai_sandbox.models["main"], width=128, height=192, steps=2)
    if any(p.field == "vae_model" for p in problems):  # 3.6's default has its own VAE loader
        wf.set(vae=invokeai_sandbox.models["vae"])
    job = client.submit(wf)
    [result] = job.result(timeout=300)
    assert result.status == "completed"
    [path] = job.download(tmp_path)
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size == (128, 192)
