"""Run by the tests inside InvokeAI's own venv (never imported by the project venv).

Usage: python invokeai_check_graphs.py DIR
DIR holds ``<name>.graph.json`` (our converted graph) and ``<name>.workflow.json`` (the workflow).
For each name it reports, as JSON on stdout:
  "graph":  "ok" or the error of ``Graph.model_validate(graph)`` + ``validate_self()``;
  "twin":   "same" or how our graph differs from InvokeAI's server-side builder
            (``workflow_graph_builder.build_graph_from_workflow``, run without its final validation
            and without its call_saved_workflow-only checks).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import invokeai.app.invocations  # noqa: F401  (registers every node type)
from invokeai.app.services.shared import workflow_graph_builder as builder
from invokeai.app.services.shared.graph import Graph


class _Passthrough:
    @staticmethod
    def model_validate(data: dict[str, Any]) -> dict[str, Any]:
        data["edges"] = [e.model_dump() for e in data["edges"]]
        return data


def _twin(workflow: dict[str, Any]) -> dict[str, Any]:
    builder._validate_callable_workflow_nodes = lambda nodes: None  # only meant for called workflows
    builder.Graph = _Passthrough  # type: ignore[assignment,misc]
    return builder.build_graph_from_workflow(workflow)  # type: ignore[return-value]


def _edges(graph: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    return sorted((e["source"]["node_id"], e["source"]["field"], e["destination"]["node_id"], e["destination"]["field"])
                  for e in graph["edges"])


def main(folder: Path) -> dict[str, dict[str, str]]:
    report: dict[str, dict[str, str]] = {}
    for graph_path in sorted(folder.glob("*.graph.json")):
        name = graph_path.name.removesuffix(".graph.json")
        graph = json.loads(graph_path.read_text())
        entry: dict[str, str] = {}
        try:
            Graph.model_validate(graph).validate_self()
            entry["graph"] = "ok"
        except Exception as exc:
            entry["graph"] = f"{type(exc).__name__}: {exc}"
        workflow_path = folder / f"{name}.workflow.json"
        if workflow_path.exists():
            twin = _twin(json.loads(workflow_path.read_text()))
            ours, theirs = graph["nodes"], twin["nodes"]
            diffs = [f"node {k}: ours {ours.get(k)} twin {theirs.get(k)}"
                     for k in sorted(set(ours) | set(theirs)) if ours.get(k) != theirs.get(k)]
            if _edges(graph) != _edges(twin):
                diffs.append(f"edges: ours {_edges(graph)} twin {_edges(twin)}")
            entry["twin"] = "same" if not diffs else "\n".join(diffs)
        report[name] = entry
    return report


if __name__ == "__main__":
    print(json.dumps(main(Path(sys.argv[1])), indent=1))
