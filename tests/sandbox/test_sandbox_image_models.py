"""The sandbox's image-workflow models are installed as InvokeAI classifies them, each runs in a graph,
and InvokeAI's shipped MultiDiffusion workflows run on them."""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops
from tinygraphs import graph, model_ref, sd15_text_to_image, sdxl_text_to_image, upscale

from invokekit import Client
from invokekit.sandbox import MODEL_NAMES, Sandbox
from invokekit.sandbox._models import install_model
from invokekit.sandbox._tiny import TINY_MODELS

pytestmark = pytest.mark.server

SHIPPED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "workflows" / "default"
TILE_CONTROLNET = "ControlNet Model - Choose a Tile ControlNet"  # the MultiDiffusion workflows' form label
MULTIDIFFUSION_DENOISE = "8dba0d37-cd2e-4fe5-ae9f-5464b85a8a7a"  # their tiled_multi_diffusion_denoise_latents


@pytest.fixture
def ref(client: Client) -> dict[str, dict[str, Any]]:
    """Model identifiers by role ("sd15", "controlnet", ...), as a graph's model fields take them."""
    records = {m["name"]: m for m in client.models.list()}
    return {role: model_ref(records[name]) for role, name in MODEL_NAMES.items()}


def _run(client: Client, submitted: Any, out_dir: Path) -> Path:
    """Submit a graph (or a workflow), wait for it, download its one output image; return the file."""
    job = client.submit(submitted)
    (result,) = job.result(timeout=300)
    (image,) = result.images
    (path,) = job.download(out_dir)
    with Image.open(path) as loaded:
        assert loaded.size == (image.width, image.height)
    return path


def _differ(a: Path, b: Path) -> bool:
    with Image.open(a) as first, Image.open(b) as second:
        return ImageChops.difference(first.convert("RGB"), second.convert("RGB")).getbbox() is not None


def test_every_tiny_model_is_installed_from_this_build_with_its_base_and_type(
    client: Client, invokeai_sandbox: Sandbox
) -> None:
    assert invokeai_sandbox.models == MODEL_NAMES == {m.role: m.name for m in TINY_MODELS}
    assert {"sd15", "controlnet", "sd15_controlnet", "upscaler", "sd15_lora", "sd15_ip_adapter"} <= set(MODEL_NAMES)
    records = {m["name"]: m for m in client.models.list()}
    for model in TINY_MODELS:
        record = records[model.name]
        assert (record["base"], record["type"]) == (model.base, model.type), model.name
        assert Path(record["path"]) == invokeai_sandbox.layout.model_path(model)


def test_sd15_text_to_image_makes_an_image_of_the_requested_size(client: Client, ref: dict, tmp_path: Path) -> None:
    path = _run(client, sd15_text_to_image(ref["sd15"], seed=random.randrange(2**31), size=64), tmp_path)
    with Image.open(path) as image:
        assert image.size == (64, 64)


def test_the_sd15_lora_changes_the_image(client: Client, ref: dict, tmp_path: Path) -> None:
    seed = random.randrange(2**31)
    without = _run(client, sd15_text_to_image(ref["sd15"], seed=seed, lora=ref["sd15_lora"], lora_weight=0.0),
                   tmp_path / "without")
    with_lora = _run(client, sd15_text_to_image(ref["sd15"], seed=seed, lora=ref["sd15_lora"]), tmp_path / "with")
    assert _differ(without, with_lora)


@pytest.mark.parametrize("family", ["sdxl", "sd15"])
def test_a_controlnet_on_a_model_free_control_image_steers_the_image(
    family: str, client: Client, ref: dict, tmp_path: Path
) -> None:
    seed, size = random.randrange(2**31), 64

    def build(weight: float) -> dict[str, Any]:
        if family == "sdxl":
            return sdxl_text_to_image(ref["main"], ref["vae"], seed=seed, size=size, controlnet=ref["controlnet"],
                                      control_weight=weight)
        return sd15_text_to_image(ref["sd15"], seed=seed, size=size, controlnet=ref["sd15_controlnet"],
                                  control_weight=weight)

    steered = _run(client, build(1.0), tmp_path / "steered")
    idle = _run(client, build(0.0), tmp_path / "idle")
    with Image.open(steered) as image:
        assert image.size == (size, size)
    assert _differ(steered, idle)


def test_the_sd15_ip_adapter_with_its_image_encoder_changes_the_image(
    client: Client, ref: dict, tmp_path: Path
) -> None:
    seed = random.randrange(2**31)

    def build(weight: float) -> dict[str, Any]:
        return sd15_text_to_image(ref["sd15"], seed=seed, ip_adapter=ref["sd15_ip_adapter"], ip_adapter_weight=weight)

    assert _differ(_run(client, build(1.0), tmp_path / "on"), _run(client, build(0.0), tmp_path / "off"))


def test_the_spandrel_upscaler_makes_an_image_four_times_larger(client: Client, ref: dict, tmp_path: Path) -> None:
    path = _run(client, upscale(ref["upscaler"], size=40, seed=random.randrange(2**31)), tmp_path)
    with Image.open(path) as image:
        assert image.size == (160, 160)


@pytest.mark.parametrize(
    ("workflow", "models"),
    [
        ("MultiDiffusion SD1.5", {"model": "tiny-sd15", TILE_CONTROLNET: "tiny-sd15-controlnet"}),
        ("MultiDiffusion SDXL", {"model": "tiny-sdxl", "vae": "tiny-sdxl-vae",
                                 TILE_CONTROLNET: "tiny-sdxl-controlnet"}),
    ],
)
def test_a_shipped_upscaling_workflow_runs_on_the_tiny_models(
    workflow: str, models: dict[str, str], client: Client, tmp_path: Path
) -> None:
    seed, size = random.randrange(2**31), 96
    source = graph(f"source-{seed}", {
        "canvas": {"type": "blank_image", "width": size, "height": size},
        "grain": {"type": "img_noise", "seed": seed, "amount": 0.5, "is_intermediate": False},
    }, [("canvas", "image", "grain", "image")])
    (made,) = client.submit(source).result(timeout=120)
    wf = client.workflow(SHIPPED / f"{workflow}.json")
    wf.set(models, **{"Image to Upscale": {"image_name": made.images[0].image_name},
                      "Image-to-Image Model": "tiny-upscaler"})
    wf.set({f"{MULTIDIFFUSION_DENOISE}.steps": 4, f"{MULTIDIFFUSION_DENOISE}.scheduler": "euler"})  # quick
    path = _run(client, wf, tmp_path)
    with Image.open(path) as image:
        assert image.size == (2 * size, 2 * size)  # the workflows' default scale


def test_a_model_listed_from_an_older_build_is_replaced_and_nobody_elses(
    client: Client, invokeai_sandbox: Sandbox, tmp_path: Path
) -> None:
    built = invokeai_sandbox.layout.model_path(next(m for m in TINY_MODELS if m.role == "upscaler"))
    old, new = tmp_path / "old" / built.name, tmp_path / "new" / built.name
    for copy in (old, new):
        copy.parent.mkdir()
        shutil.copyfile(built, copy)
    name = f"invokekit-test-moved-{random.randrange(2**31)}"
    kind = {"name": name, "model_type": "spandrel_image_to_image", "base": "any", "description": "test"}
    first = install_model(client.transport, old, **kind)
    try:
        assert install_model(client.transport, old, replaces=tmp_path, **kind)["key"] == first["key"]  # same path
        foreign = install_model(client.transport, new, replaces=tmp_path / "elsewhere", **kind)
        assert foreign["key"] == first["key"]  # not from an older build of ours: left alone
        second = install_model(client.transport, new, replaces=tmp_path, **kind)
        listed = [m for m in client.models.list() if m["name"] == name]
        assert [m["key"] for m in listed] == [second["key"]] and second["key"] != first["key"]
        assert Path(listed[0]["path"]) == new
        assert old.is_file()  # the old record was forgotten, its file left alone
    finally:
        for m in client.models.list():
            if m["name"] == name:
                client.models.delete(m["key"])
