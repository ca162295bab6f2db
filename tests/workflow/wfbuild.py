"""Helpers for the workflow tests: the shipped fixtures, the reference schema, tiny hand-made workflows."""

from __future__ import annotations

import json
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
