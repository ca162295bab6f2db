"""The shapes of the API JSON a batch is made of, and the facts read straight off it.

An API graph is ``{"id", "nodes": {id: {"id", "type", <inputs>...}}, "edges": [...]}``; a batch adds
``data`` (lists of values for inputs), ``runs`` and an optional editor ``workflow``; an enqueue
request body wraps a batch as ``{"batch": ..., "prepend": ...}`` (InvokeAI's ``session_queue``
models). :class:`~invokekit.workflow.Batch` holds one; results read output nodes off a graph.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypedDict


class EdgeEnd(TypedDict):
    node_id: str
    field: str


class Edge(TypedDict):
    source: EdgeEnd
    destination: EdgeEnd


class ApiGraph(TypedDict):
    """The graph of a batch as the server takes it; each node is ``{"id", "type", <inputs>...}``."""

    id: str
    nodes: dict[str, dict[str, Any]]
    edges: list[Edge]


class BatchDatum(TypedDict):
    """One list of values for one input: ``batch.data`` is a product of zipped lists of these."""

    node_path: str
    field_name: str
    items: list[Any]


def datum(node_id: str, field: str, items: list[Any]) -> BatchDatum:
    """One entry of ``batch.data``: the values ``items`` for input ``field`` of node ``node_id``."""
    return {"node_path": node_id, "field_name": field, "items": items}


def graph_output_nodes(graph: Mapping[str, Any]) -> list[str]:
    """Nodes of an API graph that keep their results (``is_intermediate`` false, the default)."""
    nodes = graph.get("nodes") or {}
    return [node_id for node_id, node in nodes.items() if not node.get("is_intermediate", False)]


def api_kind(data: Any) -> Literal["body", "batch", "graph"] | None:
    """What an API JSON document is: an enqueue request body, a batch, a graph; ``None`` if none."""
    if not isinstance(data, Mapping):
        return None
    if isinstance(data.get("batch"), Mapping):
        return "body"
    if isinstance(data.get("graph"), Mapping):
        return "batch"
    if isinstance(data.get("nodes"), Mapping):
        return "graph"
    return None


def shape_problem(body: Mapping[str, Any]) -> tuple[str | None, str] | None:
    """What is wrong with the shape of a batch ``body`` (``(node id or None, message)``), or None.

    Everything after loading reads nodes, edges and data by these keys: a wrong shape is found
    here, once, so it is an error naming the node or edge, never a ``KeyError`` later on."""
    graph = body["graph"]
    nodes, edges, data = graph.get("nodes"), graph.get("edges", []), body.get("data") or []
    if not isinstance(nodes, Mapping):
        return None, "the graph's 'nodes' must be an object of node id -> node"
    for node_id, node in nodes.items():
        if not isinstance(node, Mapping) or not isinstance(node.get("type"), str):
            return str(node_id), "a node must be an object with a 'type' (a string)"
    if not isinstance(edges, list):
        return None, "the graph's 'edges' must be a list"
    for index, edge in enumerate(edges):
        ends = [edge.get(k) if isinstance(edge, Mapping) else None for k in ("source", "destination")]
        if not all(isinstance(e, Mapping) and isinstance(e.get("node_id"), str) and isinstance(e.get("field"), str)
                   for e in ends):
            return None, f"edge {index} must be {{'source': {{'node_id', 'field'}}, 'destination': {{...}}}}"
    if not isinstance(data, list) or not all(isinstance(inner, list) for inner in data):
        return None, "the batch's 'data' must be a list of lists"
    for inner in data:
        for entry in inner:
            if not (isinstance(entry, Mapping) and isinstance(entry.get("node_path"), str)
                    and isinstance(entry.get("field_name"), str) and isinstance(entry.get("items"), list)):
                return None, "each batch 'data' entry must be {'node_path', 'field_name', 'items': [...]}"
    return None


def editor_labels(workflow: Mapping[str, Any] | None) -> dict[str, str]:
    """Node labels from an editor workflow embedded in a batch (empty when there is none)."""
    labels: dict[str, str] = {}
    for node in (workflow or {}).get("nodes") or []:
        data = node.get("data") if isinstance(node, Mapping) else None
        if isinstance(data, Mapping) and data.get("id") and data.get("label"):
            labels[str(data["id"])] = str(data["label"])
    return labels


__all__ = ["ApiGraph", "BatchDatum", "Edge", "EdgeEnd", "api_kind", "datum", "editor_labels", "graph_output_nodes",
           "shape_problem"]
