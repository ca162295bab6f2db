"""Workflows with a form for the panel tests: a schema 4 form-builder one (containers, headings,
text, dividers; an image input) made from the shipped SD1.5 workflow, which runs on the sandbox's
tiny-sd15, and the shipped SD1.5 workflow itself (schema 3, ``exposedFields``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO.parent / "shared" / "fixtures" / "workflows" / "default"
SD15 = SHIPPED / "Text to Image - SD1.5.json"
REFERENCE = REPO.parent / "shared" / "reference" / "invokeai-6.14.2"

MODEL, POS, NEG = (
    "c8d55139-f380-4695-b7f2-8b3d1e1e3db8",
    "7d8bf987-284f-413a-b2fd-d825445a5d6c",
    "93dc02a4-d05b-48ed-b99c-c9b616af3402",
)
NOISE, DENOISE, L2I = (
    "55705012-79b9-4aac-9f26-c0b10309785b",
    "eea2702a-19fb-45b5-9d75-56b4211ec03c",
    "58c957f5-0d01-41fc-a803-b2bbf0413d4f",
)
I2L = "i2l-init-image"

#: each form field's label and the kind of control it must get
FORM_KINDS = {
    "Positive Prompt": "textarea",
    "Negative Prompt": "textarea",
    "Width": "int",
    "Height": "int",
    "Steps": "int",
    "CFG Scale": "float",
    "Scheduler": "enum",
    "Model": "model",
    "Initial image": "image",
    "Denoising Start": "float",
    "Fp32": "bool",
    "Board": "board",
}
SD15_KINDS = {
    "Model": "model",
    "Positive Prompt": "textarea",
    "Negative Prompt": "textarea",
    "Width": "int",
    "Height": "int",
    "Board": "board",
}


def _edge(source: str, out: str, target: str, inp: str) -> dict[str, Any]:
    return {
        "id": f"e-{source}{out}-{target}{inp}",
        "type": "default",
        "source": source,
        "target": target,
        "sourceHandle": out,
        "targetHandle": inp,
    }


def _field(element_id: str, parent: str, node: str, field: str, textarea: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {"fieldIdentifier": {"nodeId": node, "fieldName": field}, "showDescription": False}
    if textarea:
        data["settings"] = {"type": "string-field-config", "component": "textarea"}
    return {"id": element_id, "type": "node-field", "parentId": parent, "data": data}


def form_builder_workflow(steps: int = 3, size: int = 64) -> dict[str, Any]:
    """Image to image on SD1.5 with a schema 4 form: a column holding a heading, text, a divider,
    the prompts, a row of width/height, a row of steps/CFG, and the image, model, board fields."""
    raw = copy.deepcopy(json.loads(SD15.read_text(encoding="utf-8")))
    raw["name"] = "Form builder - SD1.5 image to image"
    raw["meta"] = {"version": "3.0.0", "category": "user"}
    raw["exposedFields"] = []  # schema 4 keeps the key (InvokeAI refuses a workflow without it)
    nodes = {n["id"]: n for n in raw["nodes"]}
    nodes[NOISE]["data"]["inputs"]["width"]["value"] = size
    nodes[NOISE]["data"]["inputs"]["height"]["value"] = size
    denoise = nodes[DENOISE]["data"]["inputs"]
    denoise["steps"]["value"], denoise["denoising_start"]["value"] = steps, 0.5
    i2l = copy.deepcopy(nodes[L2I])
    i2l["id"] = i2l["data"]["id"] = I2L
    i2l["data"].update({"type": "i2l", "version": "1.1.0", "isIntermediate": True, "label": ""})
    i2l["data"]["inputs"] = {
        "image": {"name": "image", "label": "Initial image"},
        "vae": {"name": "vae", "label": ""},
        "tiled": {"name": "tiled", "label": "", "value": False},
        "tile_size": {"name": "tile_size", "label": "", "value": 0},
        "fp32": {"name": "fp32", "label": "", "value": False},
    }
    raw["nodes"].append(i2l)
    raw["edges"] += [_edge(MODEL, "vae", I2L, "vae"), _edge(I2L, "latents", DENOISE, "latents")]
    root = "container-root"
    elements: dict[str, Any] = {
        root: {
            "id": root,
            "type": "container",
            "data": {
                "layout": "column",
                "children": [
                    "heading-1",
                    "text-1",
                    "divider-1",
                    "f-pos",
                    "f-neg",
                    "container-size",
                    "container-steps",
                    "f-sched",
                    "divider-2",
                    "f-model",
                    "f-image",
                    "f-start",
                    "f-fp32",
                    "f-board",
                ],
            },
        },
        "heading-1": {"id": "heading-1", "type": "heading", "parentId": root, "data": {"content": "Image to image"}},
        "text-1": {"id": "text-1", "type": "text", "parentId": root, "data": {"content": "Repaint an image of yours."}},
        "divider-1": {"id": "divider-1", "type": "divider", "parentId": root},
        "divider-2": {"id": "divider-2", "type": "divider", "parentId": root},
        "container-size": {
            "id": "container-size",
            "type": "container",
            "parentId": root,
            "data": {"layout": "row", "children": ["f-width", "f-height"]},
        },
        "container-steps": {
            "id": "container-steps",
            "type": "container",
            "parentId": root,
            "data": {"layout": "row", "children": ["f-steps", "f-cfg"]},
        },
    }
    for element in (
        _field("f-pos", root, POS, "prompt", True),
        _field("f-neg", root, NEG, "prompt", True),
        _field("f-width", "container-size", NOISE, "width"),
        _field("f-height", "container-size", NOISE, "height"),
        _field("f-steps", "container-steps", DENOISE, "steps"),
        _field("f-cfg", "container-steps", DENOISE, "cfg_scale"),
        _field("f-sched", root, DENOISE, "scheduler"),
        _field("f-model", root, MODEL, "model"),
        _field("f-image", root, I2L, "image"),
        _field("f-start", root, DENOISE, "denoising_start"),
        _field("f-fp32", root, I2L, "fp32"),
        _field("f-board", root, L2I, "board"),
    ):
        elements[element["id"]] = element
    raw["form"] = {"elements": elements, "rootElementId": root}
    return raw
