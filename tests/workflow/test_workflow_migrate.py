"""Schema 1.0.0 and 2.0.0 (InvokeAI 3.x) migrated as the UI's ``migrations.ts`` and zod parsers do,
one rule per test, each on a minimal workflow."""

from __future__ import annotations

import pytest
from wfbuild import (
    MISSING,
    TINY_MODELS,
    context,
    edge,
    node,
    old_workflow,
    sdxl_v1_text_to_image,
    v1_node,
    v2_node,
    workflow,
)

from invokekit.errors import UnsupportedWorkflowVersion, WorkflowError
from invokekit.workflow import Workflow
from invokekit.workflow._migrate import v1_to_v2_type


def _inputs(wf: Workflow, node_id: str) -> dict:
    return next(n for n in wf.to_dict()["nodes"] if n["id"] == node_id)["data"]["inputs"]


@pytest.mark.parametrize(("v1", "v2"), [
    ("integer", ("IntegerField", False, False)),
    ("IntegerCollection", ("IntegerField", True, False)),
    ("IntegerPolymorphic", ("IntegerField", False, True)),
    ("ImageCollection", ("ImageField", True, False)),
    ("VaeModelField", ("VAEModelField", False, False)),  # renamed
    ("Scheduler", ("SchedulerField", False, False)),
    ("Collection", ("CollectionField", True, False)),
    ("CollectionItem", ("CollectionItemField", False, False)),
    ("ConditioningPolymorphic", ("ConditioningField", False, True)),
    ("MetadataItemCollection", ("MetadataItemField", True, False)),
    ("Any", ("AnyField", False, False)),
])
def test_1_0_0_field_types_become_structured_types(v1: str, v2: tuple[str, bool, bool]) -> None:
    assert v1_to_v2_type(v1) == {"name": v2[0], "isCollection": v2[1], "isCollectionOrScalar": v2[2]}


def test_1_0_0_types_the_ui_does_not_map_have_no_mapping() -> None:
    assert v1_to_v2_type("ONNXModelField") is None and v1_to_v2_type("MetadataPolymorphic") is None


def test_1_0_0_migrates_to_4_0_0_and_the_report_says_so() -> None:
    raw = old_workflow("1.0.0", [v1_node("a", "integer", {"value": ("integer", 3)}, {"value": "integer"})])
    wf = Workflow.load(raw)
    out = wf.to_dict()
    assert wf.version == "4.0.0" and out["meta"] == {"category": "user", "version": "4.0.0"}
    assert wf.load_report.source_version == "1.0.0" and wf.load_report.version == "4.0.0"
    assert [n.message.split(":")[0] for n in wf.load_report.migrated] == ["schema 1.0.0 -> 2.0.0",
                                                                          "schema 2.0.0 -> 4.0.0"]
    assert out["nodes"][0]["data"]["inputs"] == {"value": {"name": "value", "label": "", "description": "", "value": 3}}
    assert wf.to_graph()["nodes"]["a"] == {"type": "integer", "id": "a", "value": 3, "use_cache": True,
                                           "is_intermediate": True}


def test_1_0_0_node_pack_comes_from_the_template_else_unknown() -> None:
    raw = old_workflow("1.0.0", [v1_node("a", "integer", {"value": ("integer", 1)}),
                                 v1_node("b", "community_thing", {"x": ("integer", 1)})])
    offline = {n["id"]: n["data"]["nodePack"] for n in Workflow.load(raw).to_dict()["nodes"]}
    online = {n["id"]: n["data"]["nodePack"] for n in Workflow.load(raw, context=context()).to_dict()["nodes"]}
    assert offline == {"a": "Unknown", "b": "Unknown"} and online == {"a": "invokeai", "b": "Unknown"}


def test_1_0_0_missing_node_version_becomes_1_0_0_and_use_cache_defaults_to_true() -> None:
    raw = old_workflow("1.0.0", [v1_node("a", "integer", {"value": ("integer", 1)}, version=None)])
    del raw["nodes"][0]["data"]["useCache"]
    data = Workflow.load(raw).to_dict()["nodes"][0]["data"]
    assert data["version"] == "1.0.0" and data["useCache"] is True


@pytest.mark.parametrize(("kind", "value"), [("integer", "three"), ("integer", 1.5), ("ImageField", {"name": "x"}),
                                              ("MainModelField", {"model_name": "m", "base_model": "sd-9",
                                                                  "model_type": "main"}),
                                              ("Scheduler", "dpmpp_3m_k"), ("ColorField", {"r": 300, "g": 0, "b": 0,
                                                                                          "a": 0})])
def test_1_0_0_a_value_that_does_not_fit_its_type_is_refused_as_the_ui_refuses_it(kind: str, value: object) -> None:
    raw = old_workflow("1.0.0", [v1_node("a", "some_node", {"f": (kind, value)}, label="Odd Node")])
    with pytest.raises(WorkflowError, match="Workflow Validation Error") as err:
        Workflow.load(raw)
    assert (err.value.node_id, err.value.node_label, err.value.field) == ("a", "Odd Node", "f")


def test_1_0_0_an_unknown_input_field_type_is_refused_naming_the_field() -> None:
    raw = old_workflow("1.0.0", [v1_node("a", "integer", {"value": ("BigInteger", 1)})])
    with pytest.raises(WorkflowError, match="unknown field type 'BigInteger'") as err:
        Workflow.load(raw)
    assert err.value.field == "value"


def test_1_0_0_an_output_type_the_ui_cannot_map_is_its_migration_error() -> None:
    raw = old_workflow("1.0.0", [v1_node("a", "onnx_loader", {}, {"model": "ONNXModelField"})])
    with pytest.raises(WorkflowError, match="Unknown field type: ONNXModelField") as err:
        Workflow.load(raw)
    assert err.value.node_id == "a" and err.value.field == "model"


@pytest.mark.parametrize(("kind", "value"), [
    ("IntegerField", 7), ("FloatField", 0.5), ("StringField", "text"), ("BooleanField", False),
    ("EnumField", "lanczos"), ("ImageField", {"image_name": "cat.png"}), ("BoardField", {"board_id": "b1"}),
    ("SchedulerField", "euler"), ("ColorField", {"r": 1, "g": 2, "b": 3, "a": 255}),
])
def test_2_0_0_values_of_stateful_types_are_kept(kind: str, value: object) -> None:
    wf = Workflow.load(old_workflow("2.0.0", [v2_node("a", "some_node", {"f": (kind, value)})]))
    assert _inputs(wf, "a")["f"]["value"] == value and not wf.load_report.migrated[:-1]


@pytest.mark.parametrize(("kind", "value", "collection"), [
    ("LatentsField", {"latents_name": "x"}, False),  # a stateless type: its value is never kept
    ("IntegerField", [1, 2], True),  # schema 2.0.0 has no integer-collection value
    ("SchedulerField", "dpmpp_3m_k", False),  # not a 2.0.0 scheduler
    ("ImageField", {"image_name": "  "}, False),
])
def test_2_0_0_values_that_fit_no_stateful_type_are_dropped_and_reported(kind: str, value: object,
                                                                         collection: bool) -> None:
    wf = Workflow.load(old_workflow("2.0.0", [v2_node("a", "some_node", {"f": (kind, value)}, label="N",
                                                      collection=collection)]))
    assert "value" not in _inputs(wf, "a")["f"]
    (note,) = [n for n in wf.load_report.migrated if n.field == "f"]
    assert note.node_id == "a" and note.node_label == "N" and "left unset" in note.message


def test_2_0_0_image_values_are_trimmed_and_stripped_as_the_parser_does() -> None:
    stored = {"image_name": " cat.png ", "width": 64}
    wf = Workflow.load(old_workflow("2.0.0", [v2_node("a", "image", {"image": ("ImageField", stored)})]))
    assert _inputs(wf, "a")["image"]["value"] == {"image_name": "cat.png"}


def test_3x_model_identifiers_are_left_unset_so_preflight_asks_for_the_model() -> None:
    stored = {"model_name": "stable-diffusion-xl-base-1-0", "base_model": "sdxl", "model_type": "main"}
    raw = old_workflow("2.0.0", [v2_node("m", "sdxl_model_loader", {"model": ("SDXLMainModelField", stored)},
                                         label="SDXL Model", version="1.0.0")])
    wf = Workflow.load(raw, context=context(models=TINY_MODELS))
    assert "value" not in _inputs(wf, "m")["model"]
    (note,) = [n for n in wf.load_report.migrated if n.field == "model"]
    assert "3.x model identifier" in note.message and "set the model by name" in note.message
    (problem,) = wf.preflight()
    assert (problem.node_id, problem.field) == ("m", "model") and "set it" in problem.message
    wf.set(model="tiny-sdxl")
    assert wf.preflight() == [] and wf.to_graph()["nodes"]["m"]["model"]["key"] == "k-main"


def test_2_0_0_becomes_the_4_0_0_shape() -> None:
    raw = old_workflow("2.0.0", [v2_node("a", "integer", {"value": ("IntegerField", 1)}),
                                 {"id": "n", "type": "notes", "width": 1, "height": 1, "position": {"x": 1, "y": 2},
                                  "data": {"id": "n", "type": "notes", "label": "L", "isOpen": True, "notes": "hi"}}],
                       [edge("a", "value", "a", "value", kind="collapsed")], exposedFields=[
                           {"nodeId": "a", "fieldName": "value"}], legacy_key=1)
    raw["nodes"][0]["data"]["inputs"]["value"]["label"] = None  # allowed (nullish) in 2.0.0
    out = Workflow.load(raw).to_dict()
    invocation, notes = out["nodes"]
    assert set(invocation) == {"id", "type", "data", "position"} and set(notes) == {"id", "type", "data", "position"}
    assert set(invocation["data"]) == {"id", "version", "nodePack", "label", "notes", "type", "inputs",
                                       "dynamicInputTemplates", "isOpen", "isIntermediate", "useCache"}
    assert invocation["data"]["dynamicInputTemplates"] == {} and invocation["data"]["inputs"]["value"]["label"] == ""
    assert notes["data"] == {"id": "n", "type": "notes", "label": "L", "isOpen": True, "notes": "hi"}
    assert out["edges"] == [{"id": "a.value->a.value", "source": "a", "target": "a", "type": "collapsed"}]
    assert out["form"] == {"elements": {"root": {"id": "root", "type": "container",
                                                 "data": {"layout": "column", "children": []}}},
                           "rootElementId": "root"}
    assert "legacy_key" not in out and out["exposedFields"] == [{"nodeId": "a", "fieldName": "value"}]


def test_exposed_fields_of_a_migrated_workflow_are_its_form() -> None:
    wf = Workflow.load(sdxl_v1_text_to_image())
    assert [(p.node_id, p.field, p.form_kind) for p in wf.parameters if p.in_form] == [
        ("00000000-0000-4000-8000-000000000000", "model", "exposed")]


def test_3_0_0_files_keep_their_stored_values_and_version() -> None:
    raw = workflow([node("m", "main_model_loader", {"model": None}), node("a", "integer", {"value": 1})])
    wf = Workflow.load(raw)
    assert wf.version == "3.0.0" and wf.load_report.migrated == []
    assert wf.to_dict()["nodes"] == raw["nodes"] and wf.to_graph()["nodes"]["m"]["model"] is None


def test_a_version_without_three_numbers_is_refused_with_the_uis_message() -> None:
    raw = old_workflow("1.0.0", [v1_node("a", "integer", {"value": ("integer", 1)})])
    raw["meta"]["version"] = "1.0"
    with pytest.raises(UnsupportedWorkflowVersion, match=r"^Unable to get workflow schema version"):
        Workflow.load(raw)


def test_values_missing_in_1_0_0_stay_missing() -> None:
    raw = old_workflow("1.0.0", [v1_node("a", "img_resize", {"image": ("ImageField", MISSING),
                                                              "width": ("integer", 64)})])
    assert _inputs(Workflow.load(raw), "a") == {"image": {"name": "image", "label": "", "description": ""},
                                                "width": {"name": "width", "label": "", "description": "",
                                                          "value": 64}}
