"""The workflow (or graph) embedded in an image InvokeAI made, to make it again with changes.

InvokeAI writes PNG text chunks into every image it saves: ``invokeai_graph`` (the session's
API graph, with the values that made this very image, swept ones included) and, when the batch
carried an editor workflow, ``invokeai_workflow``. :func:`source_from_image` returns the workflow
with each node's input values taken from the graph (so an image of a sweep gives back its own
seed and CFG, not the sweep's first ones), else the graph alone, which is then set by
``node_id.field``. A value fed by an edge (a random seed node) is not in the graph's inputs and
stays as the workflow has it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from invokekit.errors import WorkflowError

WORKFLOW_CHUNK, GRAPH_CHUNK = "invokeai_workflow", "invokeai_graph"
_SKIPPED = {"id", "type", "is_intermediate", "use_cache", "board"}  # node keys that are not the user's values


def image_chunks(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The JSON text chunks InvokeAI wrote into the image at ``path`` (those that parse)."""
    try:
        with Image.open(path) as image:
            text = dict(getattr(image, "text", None) or image.info)
    except (OSError, UnidentifiedImageError) as exc:
        raise WorkflowError(f"not an image InvokeAI made ({exc})", file=str(path)) from None
    chunks: dict[str, Any] = {}
    for key in (WORKFLOW_CHUNK, GRAPH_CHUNK, "invokeai_metadata"):
        if isinstance(text.get(key), str):
            try:
                chunks[key] = json.loads(text[key])
            except ValueError:
                continue
    return chunks


def source_from_image(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """``(document, kind)``: the embedded workflow with the graph's values (kind ``"workflow"``),
    else the graph (kind ``"graph"``). Raises :class:`WorkflowError` when the image holds neither."""
    chunks = image_chunks(path)
    graph, workflow = chunks.get(GRAPH_CHUNK), chunks.get(WORKFLOW_CHUNK)
    if isinstance(workflow, Mapping) and isinstance(workflow.get("nodes"), list):
        doc = json.loads(json.dumps(workflow))
        if isinstance(graph, Mapping):
            _take_values(doc, graph)
        return doc, "workflow"
    if isinstance(graph, Mapping) and isinstance(graph.get("nodes"), Mapping):
        return {"nodes": dict(graph["nodes"]), "edges": list(graph.get("edges") or [])}, "graph"
    raise WorkflowError(f"the image holds no {WORKFLOW_CHUNK} or {GRAPH_CHUNK} (not made by InvokeAI, or "
                        "its metadata was stripped)", file=str(Path(path)))


def _take_values(workflow: dict[str, Any], graph: Mapping[str, Any]) -> None:
    nodes = graph.get("nodes") or {}
    for node in workflow["nodes"]:
        data = node.get("data") if isinstance(node, Mapping) else None
        inputs = data.get("inputs") if isinstance(data, Mapping) else None
        made = nodes.get(data.get("id")) if isinstance(data, Mapping) else None
        if not isinstance(inputs, dict) or not isinstance(made, Mapping):
            continue
        for field, value in made.items():
            slot = inputs.get(field)
            if field not in _SKIPPED and isinstance(slot, dict) and "value" in slot:
                slot["value"] = value


__all__ = ["GRAPH_CHUNK", "WORKFLOW_CHUNK", "image_chunks", "source_from_image"]
