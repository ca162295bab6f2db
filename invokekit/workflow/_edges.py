"""Which edges of a workflow InvokeAI's UI keeps when it loads it (``validateWorkflow.ts``).

The UI checks every edge, in file order, against the node *templates* (not against the inputs a
file happens to list: connection-only inputs are often left out) and against the edges kept so
far (``validateConnection.ts``: no duplicates, one connection per input, matching field types, no
cycles). An invalid edge is deleted with a warning naming both ends; the workflow still loads.
Without templates (offline) only what needs none is checked: both ends must exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invokekit.workflow._connections import Connections, Templates
from invokekit.workflow._nodes import is_invocation
from invokekit.workflow._templates import input_template


def edge_ends(edge: dict[str, Any]) -> tuple[str, str]:
    """``source.handle`` and ``target.handle`` as the UI's warning names them."""
    if edge.get("type") == "default":
        return f"{edge['source']}.{edge['sourceHandle']}", f"{edge['target']}.{edge['targetHandle']}"
    return str(edge["source"]), str(edge["target"])


def edge_issues(edge: dict[str, Any], nodes: dict[str, dict[str, Any]], kept: list[dict[str, Any]],
                templates: Templates | None) -> list[str]:
    """Why the UI deletes ``edge`` (empty: it keeps it), given the edges ``kept`` before it."""
    source, target = nodes.get(edge["source"]), nodes.get(edge["target"])
    default = edge.get("type") == "default"
    issues: list[str] = []
    if source is None:
        issues.append(f"Invalid edge: source/output node {edge['source']} does not exist")
    if target is None:
        issues.append(f"Invalid edge: target/input node {edge['target']} does not exist")
    if templates is None:
        return issues
    src_tpl = templates.get(source["data"].get("type")) if is_invocation(source) else None
    dst_tpl = templates.get(target["data"].get("type")) if is_invocation(target) else None
    if is_invocation(source) and src_tpl is None:
        issues.append(_missing_template(source))
    if src_tpl is not None and default and edge["sourceHandle"] not in src_tpl.outputs:
        issues.append(f"Invalid edge: source/output field {edge['source']}.{edge['sourceHandle']} does not exist")
    if is_invocation(target) and dst_tpl is None:
        issues.append(_missing_template(target))
    if dst_tpl is not None and default and input_template(target, dst_tpl, edge["targetHandle"]) is None:
        issues.append(f"Invalid edge: target/input field {edge['target']}.{edge['targetHandle']} does not exist")
    if not issues and default:
        error = Connections(nodes, kept, templates).validate(edge["source"], edge["sourceHandle"], edge["target"],
                                                             edge["targetHandle"])
        if error:
            issues.append(error)
    return issues


def _missing_template(node: dict[str, Any]) -> str:
    return f"Invalid node: node {node['id']} of type {node['data'].get('type')} missing template (not installed?)"


DropCallback = Callable[[dict[str, Any], list[str]], None]


def keep_valid_edges(raw: dict[str, Any], templates: Templates | None, dropped: DropCallback) -> None:
    """Remove the edges the UI would delete from ``raw`` (calling ``dropped(edge, issues)`` for each)."""
    nodes = {n["id"]: n for n in raw["nodes"]}
    kept: list[dict[str, Any]] = []
    for edge in raw["edges"]:
        issues = edge_issues(edge, nodes, kept, templates)
        if issues:
            dropped(edge, issues)
        else:
            kept.append(edge)
    raw["edges"] = kept
