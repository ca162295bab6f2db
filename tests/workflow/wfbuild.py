"""Helpers for the workflow tests: the shipped fixtures, the reference schema, tiny hand-made workflows."""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

from invokekit.workflow import ServerContext

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
SHIPPED_DIR = SHARED / "fixtures" / "workflows" / "default"
REFERENCE = SHARED / "reference" / "invokeai-6.14.2"
SHIPPED = sorted(SHIPPED_DIR.glob("*.json"))
SDXL = SHIPPED_DIR / "Text to Image - SDXL.json"
#: the shipped workflows InvokeAI's own Graph model accepts as converted (no required model
#: field without a default, no removed node type, no invalid value)
COMPLETE = (
    "FLUX Image to Image.json",
    "Flux Text to Image.json",
    "MultiDiffusion SD1.5.json",
    "MultiDiffusion SDXL.json",
    "Text to Image - SD1.5.json",
    "Text to Image - SDXL.json",
    "Text to Image with LoRA.json",
    "Tiled Upscaling (Beta).json",
)
CANNY = (
    "ESRGAN Upscaling with Canny ControlNet.json",
    "Face Detailer with IP-Adapter & Canny (See Note in Details).json",
    "Multi ControlNet (Canny & Depth).json",
)
MISSING = object()

TINY_MODELS = [
    {"key": "k-main", "hash": "blake3:aa", "name": "tiny-sdxl", "base": "sdxl", "type": "main"},
    {"key": "k-vae", "hash": "blake3:bb", "name": "tiny-sdxl-vae", "base": "sdxl", "type": "vae"},
    {"key": "k-sd1", "hash": "blake3:cc", "name": "tiny-sd1", "base": "sd-1", "type": "main"},
]


@cache
def schema() -> dict[str, Any]:
    return json.loads((REFERENCE / "openapi.json").read_text(encoding="utf-8"))


def context(models: list[dict[str, Any]] | None = None, boards: list[dict[str, Any]] | None = None,
            with_schema: bool = True) -> ServerContext:
    return ServerContext(schema=schema() if with_schema else None, models=models, boards=boards)


def node(node_id: str, node_type: str, inputs: dict[str, Any] | None = None, *, label: str = "",
         intermediate: bool = True, use_cache: bool = True) -> dict[str, Any]:
    fields = {}
    for name, value in (inputs or {}).items():
        fields[name] = {"name": name, "label": ""} if value is MISSING else {"name": name, "label": "", "value": value}
    return {"id": node_id, "type": "invocation", "position": {"x": 0, "y": 0},
            "data": {"id": node_id, "type": node_type, "label": label, "isOpen": True, "notes": "", "version": "1.0.0",
                     "isIntermediate": intermediate, "useCache": use_cache, "inputs": fields}}


def notes(node_id: str) -> dict[str, Any]:
    return {"id": node_id, "type": "notes", "position": {"x": 0, "y": 0},
            "data": {"id": node_id, "type": "notes", "label": "n", "isOpen": True, "notes": "hello"}}


def connector(node_id: str) -> dict[str, Any]:
    data = {"id": node_id, "type": "connector"}
    return {"id": node_id, "type": "connector", "position": {"x": 0, "y": 0}, "data": data}


def edge(source: str, source_handle: str, target: str, target_handle: str, kind: str = "default") -> dict[str, Any]:
    e: dict[str, Any] = {"id": f"{source}.{source_handle}->{target}.{target_handle}", "type": kind,
                         "source": source, "target": target}
    if kind == "default":
        e.update(sourceHandle=source_handle, targetHandle=target_handle)
    return e


def workflow(nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": "wf-id", "name": "tiny", "author": "", "description": "", "version": "1", "contact": "", "tags": "",
            "notes": "", "exposedFields": [], "meta": {"version": "3.0.0", "category": "user"},
            "nodes": nodes, "edges": edges or [], **extra}


# --- older schemas (InvokeAI 3.x), built by hand in their own shapes ------------------------------
CORPUS_DIR = Path(os.environ.get("INVOKEKIT_WORKFLOW_CORPUS") or SHARED / "fixtures" / "workflows" / "corpus")
CORPUS = sorted(CORPUS_DIR.glob("*.json")) if CORPUS_DIR.is_dir() else []


def v1_node(node_id: str, node_type: str, inputs: dict[str, tuple[str, Any]] | None = None,
            outputs: dict[str, str] | None = None, *, label: str = "", version: str | None = "1.0.0",
            intermediate: bool = True) -> dict[str, Any]:
    """A schema 1.0.0 invocation node: ``inputs`` maps a name to (1.0.0 field type, value or MISSING)."""
    fields = {}
    for name, (kind, value) in (inputs or {}).items():
        fields[name] = {"id": f"{node_id}-{name}", "name": name, "type": kind, "fieldKind": "input", "label": ""}
        if value is not MISSING:
            fields[name]["value"] = value
    outs = {name: {"id": f"{node_id}-out-{name}", "name": name, "type": kind, "fieldKind": "output"}
            for name, kind in (outputs or {}).items()}
    data = {"id": node_id, "type": node_type, "inputs": fields, "outputs": outs, "label": label, "isOpen": True,
            "notes": "", "embedWorkflow": False, "isIntermediate": intermediate, "useCache": True}
    if version is not None:
        data["version"] = version
    return {"id": node_id, "type": "invocation", "data": data, "width": 320, "height": 200,
            "position": {"x": 0, "y": 0}}


def v2_node(node_id: str, node_type: str, inputs: dict[str, tuple[str, Any]] | None = None, *, label: str = "",
            version: str = "1.0.0", collection: bool = False) -> dict[str, Any]:
    """A schema 2.0.0 invocation node: ``inputs`` maps a name to (2.0.0 field type name, value or MISSING)."""
    fields = {}
    for name, (kind, value) in (inputs or {}).items():
        fields[name] = {"id": f"{node_id}-{name}", "name": name, "fieldKind": "input", "label": "",
                        "type": {"name": kind, "isCollection": collection, "isCollectionOrScalar": False}}
        if value is not MISSING:
            fields[name]["value"] = value
    data = {"id": node_id, "type": node_type, "label": label, "isOpen": True, "notes": "", "isIntermediate": True,
            "useCache": True, "version": version, "nodePack": "invokeai", "inputs": fields, "outputs": {}}
    return {"id": node_id, "type": "invocation", "data": data, "width": 320, "height": 200,
            "position": {"x": 0, "y": 0}}


def old_workflow(version: str, nodes: list[dict[str, Any]], edges: list[dict[str, Any]] | None = None,
                 **extra: Any) -> dict[str, Any]:
    meta = {"version": version} if version == "1.0.0" else {"version": version, "category": "user"}
    return {"name": f"tiny {version}", "author": "", "description": "", "version": "", "contact": "", "tags": "",
            "notes": "", "nodes": nodes, "edges": edges or [], "exposedFields": [], "meta": meta, **extra}


def sdxl_v1_text_to_image(model: Any = MISSING) -> dict[str, Any]:
    """An SDXL text-to-image workflow as InvokeAI 3.4 saved them (schema 1.0.0), made here from scratch."""
    ids = {k: f"00000000-0000-4000-8000-00000000000{i}" for i, k in enumerate(
        ("model", "pos", "neg", "noise", "denoise", "l2i", "seed"))}
    cond = {"prompt": ("string", ""), "style": ("string", ""), "original_width": ("integer", 1024),
            "original_height": ("integer", 1024), "crop_top": ("integer", 0), "crop_left": ("integer", 0),
            "target_width": ("integer", 1024), "target_height": ("integer", 1024), "clip": ("ClipField", MISSING),
            "clip2": ("ClipField", MISSING)}
    nodes = [
        v1_node(ids["model"], "sdxl_model_loader", {"model": ("SDXLMainModelField", model)},
                {"unet": "UNetField", "clip": "ClipField", "clip2": "ClipField", "vae": "VaeField"},
                label="SDXL Model"),
        v1_node(ids["pos"], "sdxl_compel_prompt", {**cond, "prompt": ("string", "a lighthouse")},
                {"conditioning": "ConditioningField"}, label="Positive Prompt"),
        v1_node(ids["neg"], "sdxl_compel_prompt", cond, {"conditioning": "ConditioningField"}, label="Negative Prompt"),
        v1_node(ids["noise"], "noise", {"seed": ("integer", 0), "width": ("integer", 1024),
                                        "height": ("integer", 1024), "use_cpu": ("boolean", True)},
                {"noise": "LatentsField", "width": "integer", "height": "integer"}),
        v1_node(ids["denoise"], "denoise_latents", {
            "positive_conditioning": ("ConditioningField", MISSING),
            "negative_conditioning": ("ConditioningField", MISSING),
            "noise": ("LatentsField", MISSING), "steps": ("integer", 36), "cfg_scale": ("FloatPolymorphic", 7.5),
            "denoising_start": ("float", 0), "denoising_end": ("float", 1), "scheduler": ("Scheduler", "euler"),
            "unet": ("UNetField", MISSING), "control": ("ControlPolymorphic", MISSING),
            "ip_adapter": ("IPAdapterPolymorphic", MISSING), "t2i_adapter": ("T2IAdapterPolymorphic", MISSING),
            "latents": ("LatentsField", MISSING), "denoise_mask": ("DenoiseMaskField", MISSING)},
            {"latents": "LatentsField", "width": "integer", "height": "integer"}, version="1.4.0"),
        v1_node(ids["l2i"], "l2i", {"metadata": ("MetadataField", MISSING), "latents": ("LatentsField", MISSING),
                                    "vae": ("VaeField", MISSING), "tiled": ("boolean", False),
                                    "fp32": ("boolean", False)},
                {"image": "ImageField", "width": "integer", "height": "integer"}, version="1.0.0", intermediate=False),
        v1_node(ids["seed"], "rand_int", {"low": ("integer", 0), "high": ("integer", 2147483647)},
                {"value": "integer"}, label="Random Seed"),
    ]
    wires = [("model", "clip", "pos", "clip"), ("model", "clip2", "pos", "clip2"), ("model", "clip", "neg", "clip"),
             ("model", "clip2", "neg", "clip2"), ("model", "unet", "denoise", "unet"), ("model", "vae", "l2i", "vae"),
             ("pos", "conditioning", "denoise", "positive_conditioning"),
             ("neg", "conditioning", "denoise", "negative_conditioning"), ("noise", "noise", "denoise", "noise"),
             ("denoise", "latents", "l2i", "latents"), ("seed", "value", "noise", "seed")]
    edges = [edge(ids[a], ha, ids[b], hb) for a, ha, b, hb in wires]
    return old_workflow("1.0.0", nodes, edges, exposedFields=[{"nodeId": ids["model"], "fieldName": "model"}])


def blank_image_v1(width: int = 96, height: int = 64) -> dict[str, Any]:
    """A model-free schema 1.0.0 workflow (one "Blank Image" node that saves what it makes)."""
    blank = v1_node("10000000-0000-4000-8000-000000000001", "blank_image", {
        "width": ("integer", width), "height": ("integer", height), "mode": ("enum", "RGB"),
        "color": ("ColorField", {"r": 200, "g": 40, "b": 40, "a": 255})},
        {"image": "ImageField", "width": "integer", "height": "integer"}, label="Red", intermediate=False)
    return old_workflow("1.0.0", [blank])
