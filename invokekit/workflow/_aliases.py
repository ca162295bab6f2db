"""Friendly names for the common image parameters, found from node types, labels and edges.

``positive_prompt``, ``negative_prompt``, ``width``, ``height``, ``steps``, ``cfg_scale``,
``scheduler``, ``seed``, ``model``, ``vae``, ``board`` and ``image`` (the image primitives' images:
the workflow's image inputs) each stand for *every* place in a
workflow that means that thing and can be set: e.g. ``width`` is the noise width, the SDXL
conditioning's original/target width and the metadata width. A place fed by an edge is followed
upstream to the primitive node that holds the value (a ``string`` node labelled "Positive Prompt",
through ``string_join``'s left side, an ``integer`` node ...); a seed fed by a random node is a
place too, and setting it replaces the randomness (the edge goes, the fixed value stays).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from invokekit.workflow._nodes import Place, is_invocation

ALIASES = ("positive_prompt", "negative_prompt", "width", "height", "steps", "cfg_scale", "scheduler", "seed",
           "model", "vae", "board", "image")
#: the model type an alias means, used when no schema narrows it
ALIAS_MODEL_TYPE = {"model": "main", "vae": "vae"}
PRIMITIVE_TYPES = frozenset({"string", "integer", "float", "boolean", "scheduler"})
RANDOM_TYPES = frozenset({"rand_int", "rand_float", "random_range", "random_float"})
_SIZE = {"width": ("width", "original_width", "target_width"), "height": ("height", "original_height", "target_height")}
_DENOISE_FIELDS = {"steps": ("steps", "num_steps"), "cfg_scale": ("cfg_scale",), "scheduler": ("scheduler",),
                   "seed": ("seed",)}
_META_FIELDS = {"positive_prompt": "positive_prompt", "negative_prompt": "negative_prompt", "width": "width",
                "height": "height", "steps": "steps", "cfg_scale": "cfg_scale", "scheduler": "scheduler",
                "seed": "seed", "model": "model", "vae": "vae"}


class EdgeIndex:
    """Which default edge feeds each input, and which edges leave each node."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.nodes: dict[str, dict[str, Any]] = {n["id"]: n for n in raw["nodes"]}
        self.feeds: dict[tuple[str, str], dict[str, Any]] = {}
        self.outgoing: dict[str, list[dict[str, Any]]] = {}
        for edge in raw["edges"]:
            if edge["type"] != "default":
                continue
            self.feeds.setdefault((edge["target"], edge["targetHandle"]), edge)
            self.outgoing.setdefault(edge["source"], []).append(edge)

    def invocations(self) -> Iterator[dict[str, Any]]:
        return (n for n in self.nodes.values() if is_invocation(n))


def _label_key(node: dict[str, Any]) -> str:
    label = node["data"].get("label") or ""
    return "_".join(label.lower().replace("-", " ").split())


def _polarity(index: EdgeIndex, node: dict[str, Any]) -> str | None:
    """'positive'/'negative' from where the node's conditioning goes (a few hops), else its label."""
    frontier, seen = [node["id"]], {node["id"]}
    for _ in range(3):
        nxt = []
        for node_id in frontier:
            for edge in index.outgoing.get(node_id, []):
                handle = edge["targetHandle"].lower()
                for word in ("positive", "negative"):
                    if word in handle:
                        return word
                if edge["target"] not in seen:
                    seen.add(edge["target"])
                    nxt.append(edge["target"])
        frontier = nxt
    label = (node["data"].get("label") or "").lower()
    for word in ("positive", "negative"):
        if word in label:
            return word
    return None


def _trace(index: EdgeIndex, node_id: str, field: str, *, allow_random: bool, depth: int = 0) -> list[Place]:
    """The settable place(s) behind ``node_id.field``: itself, or the primitive that feeds it."""
    edge = index.feeds.get((node_id, field))
    if edge is None:
        return [Place(node_id, field)]
    source = index.nodes.get(edge["source"])
    if not is_invocation(source) or depth > 8:
        return []
    s_type = source["data"]["type"]
    s_inputs = source["data"]["inputs"]
    if s_type in RANDOM_TYPES and allow_random:
        return [Place(node_id, field, random_edge=edge.get("id") or f"{edge['source']}->{node_id}.{field}")]
    if s_type in PRIMITIVE_TYPES and "value" in s_inputs:
        return _trace(index, source["id"], "value", allow_random=allow_random, depth=depth + 1)
    if s_type == "string_join" and "string_left" in s_inputs:
        return _trace(index, source["id"], "string_left", allow_random=False, depth=depth + 1)
    return []


def _candidates(index: EdgeIndex, alias: str) -> Iterator[tuple[str, str]]:
    """(node id, field) spots that mean ``alias``, before following edges."""
    for node in index.invocations():
        node_type: str = node["data"]["type"]
        inputs = node["data"]["inputs"]
        nid = node["id"]
        if node_type == "core_metadata":
            if _META_FIELDS.get(alias) in inputs:
                yield nid, _META_FIELDS[alias]
            continue
        if alias == "board":
            if "board" in inputs:
                yield nid, "board"
        elif alias in ("positive_prompt", "negative_prompt"):
            if node_type in PRIMITIVE_TYPES or node_type == "string_join":
                if node_type == "string" and _label_key(node) == alias and "value" in inputs:
                    yield nid, "value"
                continue
            if "prompt" in inputs and _polarity(index, node) == alias.split("_")[0]:
                yield nid, "prompt"
                if "style" in inputs:
                    yield nid, "style"
        elif alias in _SIZE:
            fields = _SIZE[alias] if (node_type == "noise" or "denoise" in node_type) else _SIZE[alias][1:]
            yield from ((nid, f) for f in fields if f in inputs)
        elif alias in _DENOISE_FIELDS:
            if node_type == "noise" or "denoise" in node_type:
                yield from ((nid, f) for f in _DENOISE_FIELDS[alias] if f in inputs)
        elif alias == "model":
            loader = node_type.endswith("model_loader") and not any(w in node_type for w in ("lora", "refiner", "vae"))
            if loader and "model" in inputs:
                yield nid, "model"
        elif alias == "image":
            if node_type == "image" and "image" in inputs:
                yield nid, "image"
        elif alias == "vae" and "vae_model" in inputs:
            yield nid, "vae_model"
        if node_type in PRIMITIVE_TYPES and _label_key(node) == alias and "value" in inputs:
            yield nid, "value"


def alias_places(raw: dict[str, Any], index: EdgeIndex | None = None) -> dict[str, list[Place]]:
    """Every alias with the places it sets (an empty list: the alias means nothing settable here)."""
    index = index or EdgeIndex(raw)
    found: dict[str, list[Place]] = {}
    for alias in ALIASES:
        places: dict[tuple[str, str], Place] = {}
        for node_id, field in _candidates(index, alias):
            for place in _trace(index, node_id, field, allow_random=alias == "seed"):
                if place.field in index.nodes[place.node_id]["data"]["inputs"]:
                    places.setdefault(place.key, place)
        found[alias] = list(places.values())
    return found
