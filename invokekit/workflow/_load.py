"""Reading a workflow and checking its structure, so that later stages can trust its shape.

Every check here exists so that nothing after loading can fail with a bare ``KeyError`` or
``TypeError`` on a malformed file: whatever is wrong is reported once, as a ``WorkflowError`` that
names the file, the node (id and label) and the field. The structure checked here is the same in
every schema version (1.0.0 to 4.0.0); what an edge may connect is decided later, against the
server's node templates (:mod:`invokekit.workflow._edges`), as InvokeAI's UI decides it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from invokekit.errors import WorkflowError
from invokekit.workflow._migrate import READ_VERSIONS, schema_version
from invokekit.workflow._nodes import node_title
from invokekit.workflow._storable import MAX_DEPTH

SUPPORTED_VERSIONS = READ_VERSIONS
NODE_KINDS = frozenset({"invocation", "notes", "connector", "current_image"})
EDGE_KINDS = frozenset({"default", "collapsed"})


def read_source(source: str | Path | bytes | dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """The workflow dict and the file it came from (``None`` for a dict or bytes)."""
    if isinstance(source, dict):
        return source, None
    if isinstance(source, bytes):
        return _parse(source.decode("utf-8", errors="replace"), None), None
    if not isinstance(source, str | Path):
        raise WorkflowError(f"cannot load a workflow from {type(source).__name__}; give a path or a dict")
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise WorkflowError("no such workflow file", file=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise WorkflowError(f"cannot read the workflow: {exc}", file=path) from None
    return _parse(text, str(path)), str(path)


def looks_like_path(source: str | Path) -> bool:
    """A path object, or text with a path separator or a ``.json`` ending: meant as a file, not as
    a library id or name (so a mistyped path is "no such workflow file", not a library lookup)."""
    if not isinstance(source, str):
        return True
    return "/" in source or os.sep in source or source.lower().endswith(".json")


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (InvokeAI cannot take it)")


def _parse(text: str, file: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text, parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise WorkflowError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", file=file) from None
    except RecursionError:
        raise WorkflowError("invalid JSON: nested too deeply", file=file) from None
    except ValueError as exc:
        raise WorkflowError(f"invalid JSON: {exc}", file=file) from None
    too_deep(data, file)
    if not isinstance(data, dict):
        raise WorkflowError(f"a workflow is a JSON object, this file holds a {type(data).__name__}", file=file)
    return data


def too_deep(data: Any, file: str | None) -> None:
    """Raise when ``data`` nests deeper than :data:`MAX_DEPTH` (later stages copy and walk it)."""
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise WorkflowError(f"invalid JSON: nested deeper than {MAX_DEPTH} levels", file=file)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def validate(raw: dict[str, Any], file: str | None) -> None:
    """Raise ``WorkflowError`` (or ``UnsupportedWorkflowVersion``) at the first structural fault."""
    if not isinstance(raw, dict):
        raise WorkflowError(f"a workflow is a JSON object, got {type(raw).__name__}", file=file)
    schema_version(raw, file)
    for key in ("name", "description", "author", "notes", "tags", "version", "contact"):
        if key in raw and raw[key] is not None and not isinstance(raw[key], str):
            raise WorkflowError(f"'{key}' must be a string, got {type(raw[key]).__name__}", file=file)
    nodes = _require_list(raw, "nodes", file)
    edges = _require_list(raw, "edges", file)
    by_id = _validate_nodes(nodes, file)
    _validate_edges(edges, file)
    _validate_exposed(raw, by_id, file)
    _validate_form(raw, by_id, file)


def _require_list(raw: dict[str, Any], key: str, file: str | None) -> list[Any]:
    value = raw.get(key)
    if not isinstance(value, list):
        what = "missing" if value is None else f"a {type(value).__name__}, not a list"
        raise WorkflowError(f"'{key}' is {what}", file=file)
    return value


def _validate_nodes(nodes: list[Any], file: str | None) -> dict[str, dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    for index, node in enumerate(nodes):
        if not isinstance(node, dict):
            raise WorkflowError(f"nodes[{index}] is not an object", file=file)
        node_id = node.get("id")
        if not isinstance(node_id, str) or not node_id:
            raise WorkflowError(f"nodes[{index}] has no string 'id'", file=file)
        if node_id in by_id:
            raise WorkflowError("duplicate node id", file=file, node_id=node_id, node_label=_label(node))
        kind = node.get("type")
        if not isinstance(kind, str) or kind not in NODE_KINDS:
            raise WorkflowError(
                f"unknown node kind {kind!r} (expected one of {sorted(NODE_KINDS)})",
                file=file, node_id=node_id, node_label=_label(node),
            )
        data = node.get("data")
        if not isinstance(data, dict):
            raise WorkflowError("node has no 'data' object", file=file, node_id=node_id)
        if kind == "invocation":
            _validate_invocation(node_id, data, file)
        by_id[node_id] = node
    return by_id


def _label(node: dict[str, Any]) -> str | None:
    return node_title(node) if isinstance(node.get("data"), dict) else None


def _validate_invocation(node_id: str, data: dict[str, Any], file: str | None) -> None:
    where = {"file": file, "node_id": node_id}
    label = data.get("label")
    if label is not None and not isinstance(label, str):
        raise WorkflowError("'label' must be a string", **where)
    where["node_label"] = label or (data.get("type") if isinstance(data.get("type"), str) else None)
    if data.get("id") is not None and data.get("id") != node_id:
        raise WorkflowError(f"data.id {data.get('id')!r} differs from the node id", **where)
    if not isinstance(data.get("type"), str) or not data["type"]:
        raise WorkflowError("invocation node has no string 'type'", **where)
    for flag in ("isIntermediate", "useCache"):
        if flag in data and not isinstance(data[flag], bool):
            raise WorkflowError(f"'{flag}' must be true or false", **where)
    inputs = data.get("inputs")
    if not isinstance(inputs, dict):
        raise WorkflowError("invocation node has no 'inputs' object", **where)
    for name, field in inputs.items():
        if not isinstance(field, dict):
            raise WorkflowError("input is not an object", field=name, **where)
        for key in ("name", "label", "description"):
            if field.get(key) is not None and not isinstance(field[key], str):
                raise WorkflowError(f"input '{key}' must be a string", field=name, **where)
    dyn = data.get("dynamicInputTemplates")
    if dyn is not None and not isinstance(dyn, dict):
        raise WorkflowError("'dynamicInputTemplates' must be an object", **where)


def _validate_edges(edges: list[Any], file: str | None) -> None:
    """The shape of each edge (as the UI's parser requires it); which ones are kept is decided later."""
    for index, edge in enumerate(edges):
        if not isinstance(edge, dict):
            raise WorkflowError(f"edges[{index}] is not an object", file=file)
        name = f"edge {edge.get('id', index)!r}"
        kind = edge.get("type")
        if not isinstance(kind, str) or kind not in EDGE_KINDS:
            raise WorkflowError(f"{name} has unknown type {kind!r} (expected default or collapsed)", file=file)
        for end in ("source", "target"):
            if not isinstance(edge.get(end), str):
                raise WorkflowError(f"{name} has no string '{end}'", file=file)
        if kind == "collapsed":
            continue
        for handle in ("sourceHandle", "targetHandle"):
            if not isinstance(edge.get(handle), str):
                raise WorkflowError(f"{name} has no string '{handle}'", file=file)


def _validate_exposed(raw: dict[str, Any], by_id: dict[str, dict[str, Any]], file: str | None) -> None:
    exposed = raw.get("exposedFields", [])
    if exposed is None:
        return
    if not isinstance(exposed, list):
        raise WorkflowError("'exposedFields' must be a list", file=file)
    for index, item in enumerate(exposed):
        if not isinstance(item, dict) or not isinstance(item.get("nodeId"), str) or not isinstance(
            item.get("fieldName"), str
        ):
            raise WorkflowError(f"exposedFields[{index}] needs string 'nodeId' and 'fieldName'", file=file)
        _check_field_ref(item["nodeId"], item["fieldName"], by_id, file, f"exposedFields[{index}]")


def _validate_form(raw: dict[str, Any], by_id: dict[str, dict[str, Any]], file: str | None) -> None:
    form = raw.get("form")
    if form is None:
        return
    if not isinstance(form, dict):
        raise WorkflowError("'form' must be an object", file=file)
    elements = form.get("elements", {})
    if not isinstance(elements, dict):
        raise WorkflowError("'form.elements' must be an object", file=file)
    for element_id, element in elements.items():
        if not isinstance(element, dict) or not isinstance(element.get("data", {}), dict):
            raise WorkflowError(f"form element {element_id!r} is not an object with 'data'", file=file)
        data = element.get("data", {})
        children = data.get("children")
        if children is not None and not isinstance(children, list):
            raise WorkflowError(f"form element {element_id!r}: 'children' must be a list", file=file)
        if element.get("type") != "node-field":
            continue
        ident = data.get("fieldIdentifier")
        if not isinstance(ident, dict) or not isinstance(ident.get("nodeId"), str) or not isinstance(
            ident.get("fieldName"), str
        ):
            raise WorkflowError(f"form element {element_id!r} has no valid 'fieldIdentifier'", file=file)
        _check_field_ref(ident["nodeId"], ident["fieldName"], by_id, file, f"form element {element_id!r}")


def _check_field_ref(node_id: str, field: str, by_id: dict[str, dict[str, Any]], file: str | None, what: str) -> None:
    """Stale references (to deleted nodes) occur in InvokeAI's own shipped files; the UI ignores
    them, and so do we. A reference to a node that is not an invocation is a real fault."""
    node = by_id.get(node_id)
    if node is not None and node["type"] != "invocation":
        raise WorkflowError(f"{what} refers to a {node['type']} node", file=file, node_id=node_id, field=field)
