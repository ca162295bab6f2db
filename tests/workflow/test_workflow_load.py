"""Loading: files, dicts, bytes; schema versions; structural faults named precisely."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from wfbuild import SDXL, SHIPPED, SHIPPED_DIR, context, edge, node, workflow

from invokekit.errors import UnsupportedWorkflowVersion, WorkflowError
from invokekit.workflow import Workflow


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_every_shipped_workflow_loads(path: Path) -> None:
    wf = Workflow.load(path)
    assert wf.version in ("3.0.0", "4.0.0") and wf.name and wf.file == str(path)


def test_both_schema_versions_are_shipped() -> None:
    versions = {Workflow.load(p).version for p in SHIPPED}
    assert versions == {"3.0.0", "4.0.0"}


def test_load_from_dict_bytes_and_path_agree() -> None:
    raw = json.loads(SDXL.read_text())
    a, b, c = Workflow.load(raw), Workflow.load(SDXL.read_bytes()), Workflow.load(str(SDXL))
    assert a.to_dict() == b.to_dict() == c.to_dict()
    raw["name"] = "changed"  # the workflow keeps its own copy
    assert a.name == "Text to Image - SDXL"


@pytest.mark.parametrize("version", ["5.0.0", "0.1.0"])
def test_other_versions_name_what_was_found_and_what_is_read(version: str) -> None:
    raw = workflow([node("a", "integer", {"value": 1})])
    raw["meta"]["version"] = version
    with pytest.raises(UnsupportedWorkflowVersion) as err:
        Workflow.load(raw)
    assert "Workflow Validation Error" in str(err.value) and repr(version) in str(err.value)
    assert "1.0.0, 2.0.0, 3.0.0, 4.0.0" in str(err.value) and "re-save" not in str(err.value)


@pytest.mark.parametrize("meta", [{}, {"version": None}, {"version": 3}, {"version": "3.0"}, {"version": "a.b.c"},
                                  None])
def test_no_readable_version_is_refused_with_the_uis_message(meta: dict | None) -> None:
    raw = workflow([node("a", "integer", {"value": 1})])
    raw["meta"] = meta
    with pytest.raises(UnsupportedWorkflowVersion, match="Unable to get workflow schema version") as err:
        Workflow.load(raw)
    assert "re-save" not in str(err.value)


def test_invalid_json_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"nodes": [\n  1,\n  }')
    with pytest.raises(WorkflowError, match="line 3") as err:
        Workflow.load(bad)
    assert err.value.file == str(bad)


def test_missing_file_is_a_workflow_error(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match="no such workflow file"):
        Workflow.load(tmp_path / "nope.json")


def test_duplicate_node_ids_name_the_node() -> None:
    raw = workflow([node("a", "integer", {"value": 1}, label="First"), node("a", "integer", {"value": 2})])
    with pytest.raises(WorkflowError, match="duplicate node id") as err:
        Workflow.load(raw)
    assert err.value.node_id == "a"


def test_missing_data_names_the_node() -> None:
    raw = workflow([node("a", "integer", {"value": 1})])
    del raw["nodes"][0]["data"]
    with pytest.raises(WorkflowError, match="no 'data'") as err:
        Workflow.load(raw)
    assert err.value.node_id == "a"


def test_edge_to_an_unknown_node_is_dropped_with_a_warning_naming_both_ends() -> None:
    raw = workflow([node("a", "integer", {"value": 1}, label="Seed")], [edge("a", "value", "ghost", "a")])
    wf = Workflow.load(raw)  # the UI deletes such an edge and loads the rest
    assert wf.to_dict()["edges"] == []
    (note,) = wf.load_report.dropped
    assert "a.value -> ghost.a" in note.message and "'Seed' -> (missing)" in note.message
    assert "target/input node ghost does not exist" in note.message and note.node_id == "a"
    assert any("ghost" in w for w in (wf.to_graph() and wf.warnings))


def test_offline_an_edge_to_an_input_the_file_does_not_list_is_kept_for_the_preflight() -> None:
    # the UI checks edges against the node's template, not against the inputs a file lists; without
    # the server's schema that cannot be decided, so the edge stays and pre-flight judges it
    raw = workflow([node("a", "integer", {"value": 1}), node("b", "add", {"a": 1}, label="Adder")],
                   [edge("a", "value", "b", "b")])
    wf = Workflow.load(raw)
    assert wf.load_report.dropped == [] and not wf.load_report.checked
    assert wf.to_graph()["edges"] == [{"source": {"node_id": "a", "field": "value"},
                                       "destination": {"node_id": "b", "field": "b"}}]


def test_shipped_file_with_a_broken_edge_names_the_file_when_the_preflight_runs() -> None:
    path = SHIPPED_DIR / "Text to Image - SD1.5.json"
    raw = json.loads(path.read_text())
    raw["edges"][0]["targetHandle"] = "not_a_field"
    wf = Workflow(copy.deepcopy(raw), file=str(path))
    problems = [p for p in wf.preflight(context()) if p.field == "not_a_field"]
    assert problems and "to connect to" in problems[0].message


@pytest.mark.parametrize("mutate", [
    lambda r: r.pop("nodes"),
    lambda r: r.update(edges={}),
    lambda r: r["nodes"][0]["data"].update(inputs=[]),
    lambda r: r["nodes"][0]["data"].update(type=7),
    lambda r: r["nodes"][0]["data"]["inputs"].update(value=3),
    lambda r: r["nodes"][0].update(type="mystery"),
    lambda r: r["edges"].append({"id": "e", "type": "weird", "source": "a", "target": "a"}),
    lambda r: r.update(form=[]),
    lambda r: r.update(exposedFields=[{"nodeId": 1}]),
])
def test_structural_faults_are_workflow_errors(mutate) -> None:
    raw = workflow([node("a", "integer", {"value": 1})])
    mutate(raw)
    with pytest.raises(WorkflowError):
        Workflow.load(raw)


def test_stale_exposed_fields_are_ignored_as_the_ui_does() -> None:
    raw = workflow([node("a", "integer", {"value": 1})], exposedFields=[{"nodeId": "gone", "fieldName": "x"}])
    assert Workflow.load(raw).to_graph()["nodes"]["a"]["value"] == 1
