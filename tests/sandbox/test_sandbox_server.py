"""The sandbox server is a real InvokeAI with the tiny SDXL models, and it generates images."""

from __future__ import annotations

import io
import random
import time
from typing import Any

import pytest
from PIL import Image

from invokekit.client import Transport
from invokekit.sandbox import MODEL_NAMES, Sandbox

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def transport(invokeai_sandbox: Sandbox) -> Transport:
    return Transport(invokeai_sandbox.url)


def test_version_answers(transport: Transport) -> None:
    assert transport.get_json("/api/v1/app/version")["version"] == "6.14.2"


def test_info_has_the_agreed_keys(invokeai_sandbox: Sandbox) -> None:
    info = invokeai_sandbox.info()
    assert set(info) == {"url", "db_path", "root", "pid", "models"}
    assert info["models"] == MODEL_NAMES == invokeai_sandbox.models
    assert {k: info["models"][k] for k in ("main", "vae")} == {"main": "tiny-sdxl", "vae": "tiny-sdxl-vae"}
    assert info["url"].startswith("http://127.0.0.1:")
    assert invokeai_sandbox.db_path.name == "invokeai.db"
    assert invokeai_sandbox.db_path.exists()


def test_both_tiny_models_are_listed_as_sdxl(transport: Transport) -> None:
    models = {m["name"]: m for m in transport.get_json("/api/v2/models/")["models"]}
    assert (models["tiny-sdxl"]["base"], models["tiny-sdxl"]["type"]) == ("sdxl", "main")
    assert (models["tiny-sdxl-vae"]["base"], models["tiny-sdxl-vae"]["type"]) == ("sdxl", "vae")


def test_second_up_reuses_the_running_server(invokeai_sandbox: Sandbox) -> None:
    again = Sandbox().up()
    assert again.pid == invokeai_sandbox.pid
    assert again.url == invokeai_sandbox.url
    assert not again.started


def _model_ref(transport: Transport, name: str, model_type: str) -> dict[str, Any]:
    model = next(m for m in transport.get_json("/api/v2/models/")["models"] if m["name"] == name)
    assert model["type"] == model_type
    return {k: model[k] for k in ("key", "hash", "name", "base", "type")}


def _sdxl_graph(main: dict[str, Any], vae: dict[str, Any], seed: int, size: int) -> dict[str, Any]:
    def prompt(text: str) -> dict[str, Any]:
        return {
            "type": "sdxl_compel_prompt",
            "prompt": text,
            "style": text,
            "original_width": size,
            "original_height": size,
            "target_width": size,
            "target_height": size,
        }

    nodes: dict[str, dict[str, Any]] = {
        "loader": {"type": "sdxl_model_loader", "model": main},
        "vae": {"type": "vae_loader", "vae_model": vae},
        "pos": prompt("a lighthouse on a cliff"),
        "neg": prompt(""),
        "noise": {"type": "noise", "seed": seed, "width": size, "height": size, "use_cpu": True},
        "denoise": {"type": "denoise_latents", "steps": 3, "cfg_scale": 5.0, "scheduler": "euler"},
        "l2i": {"type": "l2i", "fp32": True, "is_intermediate": False, "use_cache": False},
    }
    for node_id, node in nodes.items():
        node["id"] = node_id
        node.setdefault("is_intermediate", True)
    links = [
        ("loader", "clip", "pos", "clip"),
        ("loader", "clip2", "pos", "clip2"),
        ("loader", "clip", "neg", "clip"),
        ("loader", "clip2", "neg", "clip2"),
        ("loader", "unet", "denoise", "unet"),
        ("pos", "conditioning", "denoise", "positive_conditioning"),
        ("neg", "conditioning", "denoise", "negative_conditioning"),
        ("noise", "noise", "denoise", "noise"),
        ("denoise", "latents", "l2i", "latents"),
        ("vae", "vae", "l2i", "vae"),
    ]
    edges = [
        {"source": {"node_id": s, "field": sf}, "destination": {"node_id": d, "field": df}} for s, sf, d, df in links
    ]
    return {"id": f"sandbox-test-{seed}", "nodes": nodes, "edges": edges}


def test_hand_built_sdxl_graph_generates_a_png_of_the_requested_size(transport: Transport) -> None:
    main = _model_ref(transport, "tiny-sdxl", "main")
    vae = _model_ref(transport, "tiny-sdxl-vae", "vae")
    size = 128
    graph = _sdxl_graph(main, vae, seed=random.randrange(2**31), size=size)
    body = {"prepend": False, "batch": {"graph": graph, "runs": 1, "origin": "invokekit-tests"}}
    enqueued = transport.post_json("/api/v1/queue/default/enqueue_batch", body)
    (item_id,) = enqueued["item_ids"]

    deadline = time.monotonic() + 300
    item = transport.get_json(f"/api/v1/queue/default/i/{item_id}")
    while item["status"] in ("pending", "in_progress", "waiting") and time.monotonic() < deadline:
        time.sleep(0.25)
        item = transport.get_json(f"/api/v1/queue/default/i/{item_id}")
    assert item["status"] == "completed", (item.get("error_type"), item.get("error_message"))

    l2i_output = next(out for nid, out in item["session"]["results"].items() if out["type"] == "image_output")
    image_name = l2i_output["image"]["image_name"]
    png = transport.raw("GET", f"/api/v1/images/i/{image_name}/full").content
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG"
        assert image.size == (size, size)
