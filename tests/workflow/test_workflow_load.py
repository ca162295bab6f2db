"""Loading: files, dicts, bytes; schema versions 3.0.0/4.0.0; structural faults named precisely."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from wfbuild import SDXL, SHIPPED, SHIPPED_DIR, edge, node, workflow

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


@pytest.mark.parametrize("version", ["2.0.0", "5.0.0", None])
def test_other_versions_name_what_was_found_and_what_is_supported(version: str | None) -> None:
    raw = workflow([node("a", "integer", {"value": 1})])
    raw["meta"]["version"] = version
    with pytest.raises(UnsupportedWorkflowVersion) as err:
        Workflow.load(raw)
    assert "3.0.0" in str(err.value) and "4.0.0" in str(err.value)
    assert (repr(version) if version else "no meta.version") in str(err.value)


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


def test_edge_to_an_unknown_node_names_it() -> None:
    raw = workflow([node("a", "integer", {"value": 1})], [edge("a", "value", "ghost", "a")])
    with pytest.raises(WorkflowError, match="does not exist") as err:
        Workflow.load(raw)
    assert err.value.node_id == "ghost"


def test_edge_to_a_field_the_node_lacks_names_node_label_and_field() -> None:
    raw = workflow([node("a", "integer", {"value": 1}), node("b", "add", {"a": 1}, label="Adder")],
                   [edge("a", "value", "b", "nope")])
    with pytest.raises(WorkflowError, match="does not have") as err:
        Workflow.load(raw)
    assert (err.value.node_id, err.value.node_label, err.value.field) == ("b", "Adder", "nope")
    assert "'Adder'" in str(err.value) and "'nope'" in str(err.value)


def test_shipped_file_with_a_broken_edge_names_the_file() -> None:
    path = SHIPPED_DIR / "Text to Image - SD1.5.json"
    raw = json.loads(path.read_text())
    raw["edges"][0]["targetHandle"] = "not_a_field"
    with pytest.raises(WorkflowError) as err:
        Workflow(copy.deepcopy(raw), file=str(path))
    assert err.value.file == str(path) and err.value.field == "not_a_field"


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
