"""Workflow -> API graph and batch data: a twin of InvokeAI 6.14.2's ``buildNodesGraph`` and
``getBatchDataForWorkflowGeneration`` (frontend, ``useEnqueueWorkflows``).

Rules, in the UI's order (each is pinned by a test):

* graph nodes are the invocation nodes minus batch/generator nodes; notes and connectors are UI-only;
* every input that has a ``value`` becomes a key (``null`` is kept, a missing value is left out);
  with a schema, inputs the node type does not define are dropped (``core_metadata`` keeps them);
* board inputs: ``"auto"``/empty -> the auto-add board (left out when there is none),
  ``"none"`` -> left out, ``{board_id}`` -> kept;
* ``use_cache``/``is_intermediate`` come from the node's ``useCache``/``isIntermediate``;
* edges: ``default`` only, sources through connector nodes resolved back to the invocation,
  sources that are not graph nodes dropped, duplicates removed; an input fed by an edge is removed;
* batch nodes give ``batch.data``: one entry per outgoing edge; group "None" is its own inner list
  (product), nodes sharing a group share one inner list (zip).

Beyond the UI (which has the user pick models and boards from lists), model and board values
given by name are resolved here through the server context.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from invokekit.errors import ParameterError, WorkflowError
from invokekit.workflow._api_json import datum
from invokekit.workflow._context import ServerContext
from invokekit.workflow._generators import batch_values
from invokekit.workflow._nodes import (
    BATCH_NODE_TYPES,
    CALL_SAVED_WORKFLOW,
    EXTRA_INPUT_NODE_TYPES,
    SAVED_WORKFLOW_PREFIX,
    is_connector,
    is_executable,
    is_invocation,
    node_title,
    resolve_connector_source,
)
from invokekit.workflow._resolve import is_model_field, resolve_board, resolve_model


def _is_board_field(field: str, prop: dict[str, Any] | None) -> bool:
    if prop is not None:
        return "BoardField" in str(prop.get("anyOf", prop.get("$ref", "")))
    return field == "board"


def _copy(value: Any) -> Any:
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


class Converter:
    """One conversion of one workflow; collects the warnings the UI would log."""

    def __init__(self, raw: dict[str, Any], *, file: str | None, context: ServerContext | None,
                 auto_board: Any = None, model_types: dict[tuple[str, str], str | None] | None = None,
                 errors: list[WorkflowError] | None = None) -> None:
        """With ``errors`` given, resolution errors are collected there instead of raised."""
        self.raw = raw
        self.errors = errors
        self.file = file
        self.context = context
        self.model_types = model_types or {}
        self.warnings: list[str] = []
        self.nodes = {n["id"]: n for n in raw["nodes"]}
        self.edges: list[dict[str, Any]] = raw["edges"]
        self.auto_board = resolve_board(auto_board, context=context, where={"file": file, "field": "board"}) \
            if auto_board not in (None, "auto") else None
        #: the nodes whose board input is "auto" (they take the batch's board)
        self.auto_board_nodes: list[str] = []

    def _where(self, node: dict[str, Any], field: str | None = None) -> dict[str, Any]:
        return {"file": self.file, "node_id": node["id"], "node_label": node_title(node), "field": field}

    # --- nodes -------------------------------------------------------------------------------
    def graph(self) -> dict[str, Any]:
        nodes: dict[str, dict[str, Any]] = {}
        for node in self.raw["nodes"]:
            if is_executable(node):
                built = self._node(node)
                if built is not None:
                    nodes[node["id"]] = built
        edges = self._edges(nodes)
        for edge in edges:
            target = nodes.get(edge["destination"]["node_id"])
            if target is None:
                continue
            field = edge["destination"]["field"]
            if target["type"] == CALL_SAVED_WORKFLOW and field.startswith(SAVED_WORKFLOW_PREFIX):
                inputs = target.get("workflow_inputs")
                if isinstance(inputs, dict):
                    inputs.pop(field, None)
                continue
            target.pop(field, None)
        return {"id": str(uuid.uuid4()), "nodes": nodes, "edges": edges}

    def _node(self, node: dict[str, Any]) -> dict[str, Any] | None:
        data = node["data"]
        node_type = data["type"]
        template = self.context.template(node_type) if self.context else None
        if self.context is not None and self.context.schema is not None and template is None:
            # the UI drops such nodes with a warning (and refuses to run the workflow); we keep
            # them so that the pre-flight check and the server name the unknown type
            self.warnings.append(f"node {node['id']!r} ({node_title(node)}): type {node_type!r} unknown to the server")
        props = template.get("properties", {}) if template else None
        dynamic = data.get("dynamicInputTemplates") or {}
        out: dict[str, Any] = {"type": node_type, "id": node["id"]}
        for name, field in data["inputs"].items():
            if node_type == CALL_SAVED_WORKFLOW and name == "workflow_inputs":
                continue
            if node_type == CALL_SAVED_WORKFLOW and name.startswith(SAVED_WORKFLOW_PREFIX):
                out.setdefault("workflow_inputs", {})[name] = _copy(field.get("value"))
                continue
            prop = (props.get(name) if props is not None else None) or dynamic.get(name)
            if props is not None and prop is None:
                if node_type in EXTRA_INPUT_NODE_TYPES and "value" in field:
                    out[name] = _copy(field["value"])
                else:
                    self.warnings.append(f"node {node['id']!r} ({node_title(node)}): field {name!r} unknown "
                                         "to the server, left out")
                continue
            schema_prop = prop if props is not None else None
            is_board = _is_board_field(name, schema_prop)
            if "value" not in field and not is_board:  # a board without value means "auto"
                continue
            value = field.get("value")
            try:
                if is_board:
                    board = self._board(value, node, name)
                    if board is not None:
                        out[name] = board
                    continue
                model_set = (node["id"], name) in self.model_types
                if isinstance(value, str) and (is_model_field(name, schema_prop) if schema_prop else model_set):
                    value = resolve_model(value, context=self.context, prop=schema_prop,
                                          wanted_type=self.model_types.get((node["id"], name)),
                                          where=self._where(node, name))
            except ParameterError as exc:
                if self.errors is None:
                    raise
                self.errors.append(exc)
            out[name] = _copy(value)
        if node_type == CALL_SAVED_WORKFLOW and "workflow_inputs" not in out:
            out["workflow_inputs"] = {}
        if "useCache" in data:
            out["use_cache"] = data["useCache"]
        if "isIntermediate" in data:
            out["is_intermediate"] = data["isIntermediate"]
        return out

    def _board(self, value: Any, node: dict[str, Any], field: str) -> Any:
        if value == "auto" or not value:
            self.auto_board_nodes.append(node["id"])
            return copy.deepcopy(self.auto_board)
        if value == "none":
            return None
        return resolve_board(value, context=self.context, where=self._where(node, field))

    # --- edges -------------------------------------------------------------------------------
    def _edges(self, graph_nodes: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
        seen: set[tuple[str, str, str, str]] = set()
        out: list[dict[str, Any]] = []
        for edge in self.edges:
            if edge["type"] != "default" or not is_executable(self.nodes.get(edge["target"])):
                continue
            source = self.nodes.get(edge["source"])
            if is_invocation(source):
                resolved: tuple[str, str] | None = (edge["source"], edge["sourceHandle"])
            elif is_connector(source):
                resolved = resolve_connector_source(edge["source"], self.nodes, self.edges)
            else:
                resolved = None
            if resolved is None or resolved[0] not in graph_nodes:
                continue
            key = (resolved[0], resolved[1], edge["target"], edge["targetHandle"])
            if key in seen:
                continue
            seen.add(key)
            if not key[1] or not key[3]:
                self.warnings.append(f"edge {edge.get('id')!r} has an empty handle, left out")
                continue
            out.append({"source": {"node_id": key[0], "field": key[1]},
                        "destination": {"node_id": key[2], "field": key[3]}})
        return out

    # --- batch data ----------------------------------------------------------------------------
    def batch_data(self) -> list[list[dict[str, Any]]]:
        groups: dict[str, list[dict[str, Any]]] = {}
        for node in self.raw["nodes"]:
            if is_invocation(node) and node["data"]["type"] in BATCH_NODE_TYPES:
                group = node["data"]["inputs"].get("batch_group_id", {}).get("value")
                groups.setdefault(str(group) if group is not None else "undefined", []).append(node)
        data: list[list[dict[str, Any]]] = []
        for group, members in groups.items():
            zipped: list[dict[str, Any]] = []
            for node in members:
                where = {k: v for k, v in self._where(node).items() if k != "field"}
                items = batch_values(node, self.nodes, self.edges, where)
                handle = "image" if node["data"]["type"] == "image_batch" else "value"
                entries = [
                    datum(e["target"], e["targetHandle"], _copy(items))
                    for e in self.edges
                    if e["type"] == "default" and e["source"] == node["id"] and e.get("sourceHandle") == handle
                ]
                if group == "None":
                    if entries:
                        data.append(entries)
                else:
                    zipped.extend(entries)
            if group != "None" and zipped:
                data.append(zipped)
        return data


def check_batch_sizes(data: list[list[dict[str, Any]]], file: str | None) -> None:
    """The server refuses empty or mismatched zipped lists; say which node before sending."""
    for inner in data:
        sizes = {len(entry["items"]) for entry in inner}
        if 0 in sizes:
            raise WorkflowError(f"batch for {inner[0]['node_path']}.{inner[0]['field_name']} has no items", file=file)
        if len(sizes) > 1:
            names = ", ".join(f"{e['node_path']}.{e['field_name']}={len(e['items'])}" for e in inner)
            raise WorkflowError(f"zipped batch lists differ in length: {names}", file=file)


_WORKFLOW_KEYS = ("name", "author", "description", "version", "contact", "tags", "notes", "exposedFields", "meta",
                  "form")
_EDGE_KEYS = {"default": ("id", "type", "source", "target", "sourceHandle", "targetHandle", "hidden"),
              "collapsed": ("id", "type", "source", "target")}


def embedded_workflow(raw: dict[str, Any]) -> dict[str, Any]:
    """The workflow as the UI embeds it in a batch (``buildWorkflowFast``): known keys only, no ``id``."""
    out = {k: copy.deepcopy(raw[k]) for k in _WORKFLOW_KEYS if k in raw}
    node_keys = ("id", "type", "data", "position")
    out["nodes"] = [{k: copy.deepcopy(n[k]) for k in node_keys if k in n} for n in raw["nodes"]]
    out["edges"] = [{k: e[k] for k in _EDGE_KEYS[e["type"]] if k in e} for e in raw["edges"]]
    return out
