"""The pre-flight check: would the server accept and be able to run this graph?

Checks a converted graph against the server's own OpenAPI schema (``client.app.openapi_schema()``) and
model list and reports *every* problem at once, each naming the node (id and label) and field:
node types the server lacks, required inputs with neither a value nor an edge (an unset model,
an empty file path), values of the wrong type or out of range, edges from outputs or into inputs
that do not exist, models the server does not have.
"""

from __future__ import annotations

from typing import Any

from invokekit.errors import Problem, WorkflowError
from invokekit.workflow._context import ServerContext
from invokekit.workflow._nodes import EXTRA_INPUT_NODE_TYPES, RESERVED_FIELDS
from invokekit.workflow._storable import value_problem as storable_problem
from invokekit.workflow._values import check_schema


def _required(prop: dict[str, Any]) -> bool:
    """What InvokeAI itself requires: ``orig_required`` with no ``orig_default`` (model fields...)."""
    return bool(prop.get("orig_required")) and "orig_default" not in prop and prop.get("field_kind") == "input"


def preflight_graph(graph: dict[str, Any], context: ServerContext, labels: dict[str, str],
                    data: list[list[dict[str, Any]]] | None = None) -> list[Problem]:
    """All problems of ``graph`` (and of the batch ``data`` that fills it); ``labels`` maps node
    ids to what the user calls them."""
    if context.templates() is None:
        raise WorkflowError("the pre-flight check needs the server's OpenAPI schema (ServerContext.schema)")
    problems: list[Problem] = []
    batch_fields = {(d["node_path"], d["field_name"]) for inner in data or [] for d in inner}
    fed = {(e["destination"]["node_id"], e["destination"]["field"]) for e in graph["edges"]} | batch_fields
    model_keys = {m.get("key") for m in context.models or [] if isinstance(m, dict)}

    def add(node_id: str, field: str | None, message: str) -> None:
        problems.append(Problem(node_id=node_id, node_label=labels.get(node_id), field=field, message=message))

    for node_id, node in graph["nodes"].items():
        node_type = node.get("type")
        template = context.template(node_type) if isinstance(node_type, str) else None
        if template is None:
            add(node_id, None, f"node type {node_type!r} does not exist on this server (InvokeAI removed or "
                               "renamed it, or it comes from a node pack that is not installed)")
            continue
        props: dict[str, Any] = template.get("properties", {})
        for field, prop in props.items():
            if field in RESERVED_FIELDS or not _required(prop) or (node_id, field) in fed:
                continue
            value = node.get(field)
            if field not in node or value is None:
                how = "connect it" if prop.get("input") == "connection" else "set it"
                add(node_id, field, f"required input has no value ({how})")
            elif value == "" and "path" in field:
                # InvokeAI takes "" as a value, but a path field's own validator then fails
                # ("Prompt from File"); an empty prompt, by contrast, is allowed and runs
                add(node_id, field, "required input is empty (a path is needed)")
        open_ended = template.get("additionalProperties") is True or node_type in EXTRA_INPUT_NODE_TYPES
        for field, value in node.items():
            if field in ("id", "type"):
                continue
            unstorable = storable_problem(value)
            if unstorable:
                add(node_id, field, unstorable)
                continue
            prop = props.get(field)
            if prop is None:
                if not open_ended:
                    add(node_id, field, f"{node_type!r} has no input {field!r} on this server")
                continue
            if value is None:
                continue  # a missing required value is reported above; None is the default otherwise
            problem = check_schema(value, prop, context)
            if problem:
                add(node_id, field, problem)
            elif context.models is not None and isinstance(value, dict) and "key" in value and "hash" in value \
                    and value.get("key") not in model_keys:
                add(node_id, field, f"model {value.get('name')!r} (key {value.get('key')}) is not installed "
                                    "on this server")
    for edge in graph["edges"]:
        _check_edge(edge, graph, context, add)
    _check_cycles(graph, add)
    for inner in data or []:
        for entry in inner:
            _check_batch_entry(entry, graph, context, add)
    return problems


def _check_cycles(graph: dict[str, Any], add: Any) -> None:
    """InvokeAI refuses graphs with cycles; name one node on each."""
    children: dict[str, set[str]] = {}
    for edge in graph["edges"]:
        children.setdefault(edge["source"]["node_id"], set()).add(edge["destination"]["node_id"])
    state: dict[str, int] = {}  # 1 visiting, 2 done
    for start in graph["nodes"]:
        stack = [(start, iter(children.get(start, ())))]
        if state.get(start):
            continue
        state[start] = 1
        while stack:
            node_id, pending = stack[-1]
            nxt = next(pending, None)
            if nxt is None:
                state[node_id] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                add(nxt, None, "this node is part of a cycle; InvokeAI graphs must be acyclic")
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(children.get(nxt, ()))))


def _check_batch_entry(entry: dict[str, Any], graph: dict[str, Any], context: ServerContext, add: Any) -> None:
    node = graph["nodes"].get(entry["node_path"])
    if node is None:
        add(entry["node_path"], entry["field_name"], "batch data targets a node that is not in the graph")
        return
    unstorable = storable_problem(entry["items"])
    if unstorable:
        add(entry["node_path"], entry["field_name"], f"batch data {unstorable}")
        return
    prop = context.input_schema(node.get("type", ""), entry["field_name"])
    if prop is None:
        if context.template(node.get("type", "")) is not None:
            add(entry["node_path"], entry["field_name"], "batch data targets an input this node does not have")
        return
    for item in entry["items"]:
        problem = storable_problem(item) or check_schema(item, prop, context)
        if problem:
            add(entry["node_path"], entry["field_name"], f"batch item {item!r}: {problem}")
            return


def _check_edge(edge: dict[str, Any], graph: dict[str, Any], context: ServerContext, add: Any) -> None:
    src, dst = edge["source"], edge["destination"]
    source = graph["nodes"].get(src["node_id"])
    target = graph["nodes"].get(dst["node_id"])
    if source is None or target is None:
        missing = src["node_id"] if source is None else dst["node_id"]
        add(missing, None, "an edge refers to this node, which is not in the graph")
        return
    outputs = context.output_fields(source["type"])
    if outputs is not None and src["field"] not in outputs:
        add(src["node_id"], src["field"], f"{source['type']!r} has no output {src['field']!r} "
                                          f"(it has {', '.join(sorted(outputs))})")
    template = context.template(target["type"])
    if template is not None and target["type"] not in EXTRA_INPUT_NODE_TYPES \
            and dst["field"] not in template.get("properties", {}):
        add(dst["node_id"], dst["field"], f"{target['type']!r} has no input {dst['field']!r} to connect to")
        return
    if outputs is None or template is None or src["field"] not in outputs:
        return
    made = _kinds(outputs[src["field"]], context)
    taken = _kinds(template.get("properties", {}).get(dst["field"], {}), context)
    if made is not None and taken is not None and not made & taken:
        add(dst["node_id"], dst["field"], f"cannot take {source['type']}.{src['field']} "
                                          f"({' or '.join(sorted(made))}; it takes {' or '.join(sorted(taken))})")


_PRIMITIVE_KINDS = {"integer": "number", "number": "number", "string": "string", "boolean": "boolean"}


def _kinds(prop: dict[str, Any], context: ServerContext, depth: int = 0) -> set[str] | None:
    """The value kinds a field carries (collections count as their items); ``None`` means anything.

    Deliberately lenient (a number fits a number, an item fits a collection of it): it only
    reports connections that can never work, such as an image into a conditioning input.
    """
    if depth > 10 or not isinstance(prop, dict):
        return None
    if "$ref" in prop:
        target = context.resolve_ref(prop["$ref"]) or {}
        kind = _PRIMITIVE_KINDS.get(str(target.get("type")))
        return {kind} if kind and "properties" not in target else {prop["$ref"].rsplit("/", 1)[-1]}
    branches = prop.get("anyOf") or prop.get("oneOf")
    if branches:
        found: set[str] = set()
        for branch in branches:
            if isinstance(branch, dict) and branch.get("type") == "null":
                continue
            kinds = _kinds(branch, context, depth + 1)
            if kinds is None:
                return None
            found |= kinds
        return found or None
    json_type = prop.get("type")
    if json_type == "array":
        return _kinds(prop.get("items", {}), context, depth + 1)
    kind = _PRIMITIVE_KINDS.get(str(json_type))
    return {kind} if kind else None
