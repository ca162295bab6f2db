"""``validateConnection`` (strict) and ``validateConnectionTypes``: may this output feed that input?

A port of the UI's rules (``features/nodes/store/util/validateConnection.ts``), used when loading a
workflow (:mod:`invokekit.workflow._edges`) exactly as the UI uses them: against the node
templates and the edges already kept. Each rule returns the UI's reason.
"""

from __future__ import annotations

from typing import Any

from invokekit.workflow._nodes import CONNECTOR_IN, CONNECTOR_OUT, is_connector, is_invocation
from invokekit.workflow._templates import (
    COLLECTION,
    SINGLE,
    SINGLE_OR_COLLECTION,
    FieldType,
    NodeTemplate,
    input_template,
)

Templates = dict[str, NodeTemplate]
SELF = "Cannot connect to self"
DUPLICATE = "Cannot create duplicate connections"
MISSING_NODE = "Missing invocation node"
MISSING_TEMPLATE = "Missing invocation template"
MISSING_FIELD = "Missing field template"
ONE_INPUT = "Input may only have one connection"
DIRECT = "Cannot connect to direct input"
TYPES = "Field types must match"
MIXED = "Cannot mix and match collection item types"
CYCLE = "Connection would create a cycle"


def connection_types_fit(source: FieldType, target: FieldType) -> bool:
    """``validateConnectionTypes``: may an output of type ``source`` feed an input of type ``target``?"""
    if _types_equal(source, target):
        return True
    if source.batch != target.batch:
        return False
    single_src, single_dst = source.cardinality == SINGLE, target.cardinality == SINGLE
    coll_src, coll_dst = source.cardinality == COLLECTION, target.cardinality == COLLECTION
    either_src, either_dst = source.cardinality == SINGLE_OR_COLLECTION, target.cardinality == SINGLE_OR_COLLECTION
    cardinality = (single_src and single_dst) or (coll_src and coll_dst) or (coll_src and either_dst) or (
        either_src and either_dst) or (single_src and either_dst)
    subtype = cardinality and (source.name, target.name) in (
        ("IntegerField", "FloatField"), ("IntegerField", "StringField"), ("FloatField", "StringField"))
    return ((source.name == "CollectionItemField" and not coll_dst)
            or (single_src and target.name == "CollectionItemField")
            or (either_dst and source.name == target.name)
            or (source.name == "CollectionField" and not single_dst)
            or (target.name == "CollectionField" and coll_src)
            or subtype or target.name == "AnyField" or (source.name == "AnyField" and cardinality))


def _types_equal(a: FieldType, b: FieldType) -> bool:
    """``areTypesEqual``: equal, or equal to the other's original type (before a ``ui_type`` override)."""
    ab, bb = a.bare(), b.bare()
    return ab == bb or (b.original is not None and ab == b.original.bare()) or (
        a.original is not None and a.original.bare() == bb) or (
        a.original is not None and b.original is not None and a.original.bare() == b.original.bare())


def _fit_either_way(a: FieldType, b: FieldType) -> bool:
    pair = a.name == b.name and a.batch == b.batch and {a.cardinality, b.cardinality} == {SINGLE, COLLECTION}
    return connection_types_fit(a, b) or connection_types_fit(b, a) or pair


class Connections:
    """``validateConnection`` (strict) over one workflow's nodes, the edges kept so far and the templates."""

    def __init__(self, nodes: dict[str, dict[str, Any]], edges: list[dict[str, Any]], templates: Templates) -> None:
        self.nodes, self.edges, self.templates = nodes, edges, templates

    def _template(self, node: dict[str, Any] | None) -> NodeTemplate | None:
        return self.templates.get(node["data"].get("type")) if is_invocation(node) else None

    def _source(self, node_id: str, handle: str, edges: list[dict[str, Any]]
                ) -> tuple[str, str, FieldType] | str | None:
        """``getEffectiveSource``: the invocation output behind a source (through connectors)."""
        node = self.nodes.get(node_id)
        if node is None:
            return MISSING_NODE
        if is_connector(node):
            if handle != CONNECTOR_OUT:
                return MISSING_FIELD
            resolved = self._resolve_connector(node_id, edges)
            return None if resolved is None else self._source(resolved[0], resolved[1], edges)
        template = self._template(node)
        if template is None:
            return MISSING_TEMPLATE
        if handle not in template.outputs:
            return MISSING_FIELD
        return node_id, handle, template.outputs[handle]

    def _resolve_connector(self, connector_id: str, edges: list[dict[str, Any]]) -> tuple[str, str] | None:
        seen: set[str] = set()
        while connector_id not in seen:
            seen.add(connector_id)
            incoming = next((e for e in edges if e.get("type") == "default" and e["target"] == connector_id
                             and e.get("targetHandle") == CONNECTOR_IN), None)
            source = self.nodes.get(incoming["source"]) if incoming else None
            if incoming is None or source is None:
                return None
            if is_invocation(source):
                return incoming["source"], incoming["sourceHandle"]
            if not is_connector(source):
                return None
            connector_id = source["id"]
        return None

    def _terminal_edges(self, connector_id: str, edges: list[dict[str, Any]], seen: set[str] | None = None,
                        ids: set[int] | None = None) -> list[dict[str, Any]]:
        """Edges that leave a connector chain for a non-connector (and, in ``ids``, every edge walked)."""
        seen = set() if seen is None else seen
        if connector_id in seen:
            return []
        seen.add(connector_id)
        out: list[dict[str, Any]] = []
        for edge in edges:
            if edge.get("type") != "default" or edge["source"] != connector_id \
                    or edge.get("sourceHandle") != CONNECTOR_OUT:
                continue
            if ids is not None:
                ids.add(id(edge))
            target = self.nodes.get(edge["target"])
            out += self._terminal_edges(target["id"], edges, seen, ids) if is_connector(target) else [edge]
        return out

    def validate(self, src: str, src_handle: str, dst: str, dst_handle: str,
                 edges: list[dict[str, Any]] | None = None) -> str | None:
        edges = self.edges if edges is None else edges
        if src == dst:
            return SELF
        if any(e["source"] == src and e.get("sourceHandle") == src_handle and e["target"] == dst
               and e.get("targetHandle") == dst_handle for e in edges):
            return DUPLICATE
        target, source = self.nodes.get(dst), self.nodes.get(src)
        if target is None:
            return MISSING_NODE
        effective = self._source(src, src_handle, edges)
        if isinstance(effective, str):
            return effective
        into_target = [e for e in edges if e["target"] == dst and e.get("targetHandle") == dst_handle]
        if is_connector(target):
            if dst_handle != CONNECTOR_IN:
                return MISSING_FIELD
            if into_target:
                return ONE_INPUT
            if effective is not None:
                walked: set[int] = set()
                terminals = self._terminal_edges(dst, edges, ids=walked)
                staged = [e for e in edges if id(e) not in walked]
                for edge in terminals:
                    error = self.validate(src, src_handle, edge["target"], edge["targetHandle"], staged)
                    if error:
                        return error
            return None
        dst_tpl = self._template(target)
        if dst_tpl is None:
            return MISSING_TEMPLATE
        field = input_template(target, dst_tpl, dst_handle)
        if field is None:
            return MISSING_FIELD
        if field.input == "direct":
            return DIRECT
        if effective is None:
            return self._unresolved_connector(source, src_handle, dst, dst_handle, field.type, edges)
        src_id, handle, src_type = effective
        error = self._special_nodes(target, dst_handle, src_id, handle, src_type, field.type, edges)
        if error:
            return error
        if into_target and field.type.name != "CollectionItemField":
            return ONE_INPUT
        if self.nodes[src_id]["data"].get("type") == "if" and handle == "value":
            feeding = [self._source(e["source"], e["sourceHandle"], edges) for e in edges
                       if e["target"] == src_id and e.get("targetHandle") in ("true_input", "false_input")]
            types = [s[2] for s in feeding if isinstance(s, tuple)]
            if types:
                if not all(connection_types_fit(t, field.type) for t in types):
                    return TYPES
            elif not connection_types_fit(src_type, field.type):
                return TYPES
        elif not connection_types_fit(src_type, field.type):
            return TYPES
        return CYCLE if _has_cycle(src, dst, edges) else None

    def _unresolved_connector(self, source: dict[str, Any] | None, src_handle: str, dst: str, dst_handle: str,
                              dst_type: FieldType, edges: list[dict[str, Any]]) -> str | None:
        if not (is_connector(source) and src_handle == CONNECTOR_OUT):
            return TYPES
        for edge in self._terminal_edges(source["id"], edges):  # type: ignore[index]
            if edge["target"] == dst and edge["targetHandle"] == dst_handle:
                continue
            other = self.nodes.get(edge["target"])
            other_tpl = self._template(other)
            if other_tpl is None:
                return MISSING_TEMPLATE
            other_field = other_tpl.inputs.get(edge["targetHandle"])
            if other_field is None:
                return MISSING_FIELD
            if not _fit_either_way(other_field.type, dst_type):
                return TYPES
        return None

    def _special_nodes(self, target: dict[str, Any], dst_handle: str, src_id: str, handle: str, src_type: FieldType,
                       dst_type: FieldType, edges: list[dict[str, Any]]) -> str | None:
        """The rules for ``collect`` and ``if`` nodes."""
        target_type, source_type = target["data"].get("type"), self.nodes[src_id]["data"].get("type")
        if target_type == "collect" and dst_handle == "item":
            item = self._collect_item_type(target["id"], edges)
            if item is not None and not _types_equal(src_type, item):
                return MIXED
        if source_type == "collect" and handle == "collection" and target_type == "collect" \
                and dst_handle == "collection":
            a, b = self._collect_item_type(src_id, edges), self._collect_item_type(target["id"], edges)
            if a is not None and b is not None and not _types_equal(a, b):
                return MIXED
        if target_type == "if" and dst_handle in ("true_input", "false_input"):
            sibling = "false_input" if dst_handle == "true_input" else "true_input"
            edge = next((e for e in edges if e["target"] == target["id"] and e.get("targetHandle") == sibling), None)
            if edge is not None:
                other = self._source(edge["source"], edge["sourceHandle"], edges) \
                    if edge.get("type") == "default" else None
                if isinstance(other, str):
                    return other
                if other is None or not _fit_either_way(src_type, other[2]):
                    return TYPES
        return None

    def _collect_item_type(self, node_id: str, edges: list[dict[str, Any]], seen: set[str] | None = None
                           ) -> FieldType | None:
        """``getCollectItemType``: what the first item (or collection) fed into a collect node carries."""
        seen = set() if seen is None else seen
        if node_id in seen:
            return None
        seen.add(node_id)
        for handle in ("item", "collection"):
            edge = next((e for e in edges if e["target"] == node_id and e.get("targetHandle") == handle), None)
            if edge is None or not edge.get("sourceHandle"):
                if handle == "item" and edge is None:
                    continue
                return None
            source = self.nodes.get(edge["source"])
            if source is None:
                return None
            if handle == "collection" and source["data"].get("type") == "collect" \
                    and edge["sourceHandle"] == "collection":
                return self._collect_item_type(source["id"], edges, seen)
            template = self._template(source)
            out = template.outputs.get(edge["sourceHandle"]) if template else None
            if out is None:
                return None
            if out.name == "CollectionField":
                return None
            return FieldType(out.name, SINGLE, out.batch, out.original)
        return None


def _has_cycle(source: str, target: str, edges: list[dict[str, Any]]) -> bool:
    """``getHasCycles``: would adding ``source -> target`` close a loop? (it does if target reaches source)."""
    children: dict[str, set[str]] = {}
    for edge in edges:
        children.setdefault(edge["source"], set()).add(edge["target"])
    stack, seen = [target], set()
    while stack:
        node = stack.pop()
        if node == source:
            return True
        if node not in seen:
            seen.add(node)
            stack.extend(children.get(node, ()))
    return False
