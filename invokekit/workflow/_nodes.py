"""Shared facts about workflow nodes and edges, as InvokeAI's editor defines them.

A workflow holds invocation nodes (real work), notes nodes and connector nodes (UI-only), and
batch/generator nodes (invocations whose values the UI turns into ``batch.data`` instead of graph
nodes). Edges are ``default`` (real connections) or ``collapsed`` (drawn between collapsed nodes,
never sent). These helpers answer the questions every stage asks about that structure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

BATCH_NODE_TYPES = frozenset({"image_batch", "string_batch", "integer_batch", "float_batch"})
GENERATOR_NODE_TYPES = frozenset({"image_generator", "string_generator", "integer_generator", "float_generator"})
#: nodes that take inputs their schema does not declare (pydantic ``extra='allow'``)
EXTRA_INPUT_NODE_TYPES = frozenset({"core_metadata"})
CONNECTOR_IN, CONNECTOR_OUT = "in", "out"
CALL_SAVED_WORKFLOW = "call_saved_workflow"
SAVED_WORKFLOW_PREFIX = "saved_workflow_input::"
#: node attributes that are not inputs
RESERVED_FIELDS = frozenset({"id", "type", "use_cache", "is_intermediate"})


def is_invocation(node: dict[str, Any] | None) -> bool:
    return node is not None and node.get("type") == "invocation"


def is_connector(node: dict[str, Any] | None) -> bool:
    return node is not None and node.get("type") == "connector"


def is_executable(node: dict[str, Any] | None) -> bool:
    """An invocation node that becomes a graph node (not a batch or generator node)."""
    if not is_invocation(node):
        return False
    node_type = node["data"]["type"]  # type: ignore[index]
    return node_type not in BATCH_NODE_TYPES and node_type not in GENERATOR_NODE_TYPES


@dataclass(frozen=True)
class Place:
    """One settable spot: an input ``field`` of node ``node_id``.

    ``random_edge`` is the id of an edge from a random-number node that currently feeds it; setting
    the place removes that edge (the fixed value replaces the randomness).
    """

    node_id: str
    field: str
    random_edge: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.node_id, self.field)


def node_title(node: dict[str, Any]) -> str:
    """What the editor shows as a node's name: its label, or else its type."""
    data = node.get("data", {})
    label = data.get("label")
    if isinstance(label, str) and label.strip():
        return label
    return str(data.get("type") or node.get("type") or node.get("id"))


def field_title(field_name: str) -> str:
    """pydantic's default title for a field (what the UI shows when the schema gives no title)."""
    return field_name.replace("_", " ").title()


def resolve_connector_source(connector_id: str, nodes: dict[str, dict[str, Any]],
                             edges: list[dict[str, Any]]) -> tuple[str, str] | None:
    """The invocation output a connector ultimately carries (``None`` if it leads nowhere)."""
    visited: set[str] = set()
    node_id = connector_id
    while node_id not in visited:
        visited.add(node_id)
        incoming = next((e for e in edges if e["type"] == "default" and e["target"] == node_id
                         and e.get("targetHandle") == CONNECTOR_IN and isinstance(e.get("sourceHandle"), str)), None)
        if incoming is None:
            return None
        source = nodes.get(incoming["source"])
        if is_invocation(source):
            return incoming["source"], incoming["sourceHandle"]
        if not is_connector(source):
            return None
        node_id = incoming["source"]
    return None
