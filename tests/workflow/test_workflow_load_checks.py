"""Load-time checks against the server's node templates, as InvokeAI's UI makes them (``validateWorkflow``):
edges, node updates, foreign images/boards/models; each on a minimal workflow and the reference schema."""

from __future__ import annotations

import pytest
from wfbuild import MISSING, SHIPPED_DIR, TINY_MODELS, context, edge, node, workflow

from invokekit.errors import WorkflowError
from invokekit.workflow import Workflow
from invokekit.workflow._connections import connection_types_fit
from invokekit.workflow._templates import COLLECTION, SINGLE_OR_COLLECTION, FieldType

MODEL = {"key": "k-main", "hash": "blake3:aa", "name": "tiny-sdxl", "base": "sdxl", "type": "main"}


def _edges(wf: Workflow) -> list[tuple[str, str, str, str]]:
    return [(e["source"]["node_id"], e["source"]["field"], e["destination"]["node_id"], e["destination"]["field"])
            for e in wf.to_graph()["edges"]]


def _dropped(wf: Workflow) -> list[str]:
    return [n.message for n in wf.load_report.dropped]


def test_an_edge_into_a_template_input_the_file_omits_converts() -> None:
    # connection-only inputs are often missing from a file's node; the UI checks the template
    raw = workflow([node("n", "noise", {"seed": 1, "width": 64, "height": 64}),
                    node("d", "denoise_latents", {"steps": 2}, label="Denoise")], [edge("n", "noise", "d", "noise")])
    wf = Workflow.load(raw, context=context())
    assert wf.load_report.checked and _dropped(wf) == []
    assert ("n", "noise", "d", "noise") in _edges(wf)


def test_an_edge_into_an_input_the_template_lacks_is_dropped_with_a_warning_naming_both_ends() -> None:
    raw = workflow([node("n", "noise", {"seed": 1}, label="Noise"), node("d", "denoise_latents", {"steps": 2},
                                                                         label="Denoise")],
                   [edge("n", "noise", "d", "noisy"), edge("n", "noise", "d", "noise")])
    wf = Workflow.load(raw, context=context())
    (message,) = _dropped(wf)
    assert "Deleted invalid edge n.noise -> d.noisy ('Noise' -> 'Denoise')" in message
    assert "target/input field d.noisy does not exist" in message
    assert _edges(wf) == [("n", "noise", "d", "noise")]
    assert any("d.noisy" in w for w in wf.warnings)  # shown with the conversion's warnings (the CLI prints them)
    (note,) = wf.load_report.dropped
    assert (note.node_id, note.node_label, note.field) == ("d", "Denoise", "noisy")


@pytest.mark.parametrize(("nodes", "edges", "reason"), [
    ([node("a", "integer", {"value": 1}), node("b", "add", {})], [edge("a", "nope", "b", "a")],
     "source/output field a.nope does not exist"),
    ([node("s", "string", {"value": "x"}), node("b", "add", {})], [edge("s", "value", "b", "a")],
     "Field types must match"),
    ([node("a", "integer", {"value": 1}), node("c", "integer", {"value": 2}), node("b", "add", {})],
     [edge("a", "value", "b", "a"), edge("c", "value", "b", "a")], "Input may only have one connection"),
    ([node("p", "add", {}), node("q", "add", {})], [edge("p", "value", "q", "a"), edge("q", "value", "p", "a")],
     "Connection would create a cycle"),
    ([node("p", "add", {})], [edge("p", "value", "p", "a")], "Cannot connect to self"),
    ([node("c1", "image_collection", {}), node("c2", "image_collection", {})],
     [edge("c1", "collection", "c2", "images")], "Cannot connect to direct input"),
    ([node("a", "integer", {"value": 1}), node("x", "not_installed", {})], [edge("a", "value", "x", "in")],
     "of type not_installed missing template (not installed?)"),
    ([node("a", "integer", {"value": 1}), {"id": "t", "type": "notes", "position": {"x": 0, "y": 0},
                                           "data": {"id": "t", "type": "notes", "label": "", "isOpen": True,
                                                    "notes": ""}}],
     [edge("a", "value", "t", "x")], "Missing invocation template"),
])
def test_edges_the_ui_deletes_are_dropped_with_its_reason(nodes: list, edges: list, reason: str) -> None:
    wf = Workflow.load(workflow(nodes, edges), context=context())
    assert any(reason in m for m in _dropped(wf)), _dropped(wf)
    assert len(wf.to_dict()["edges"]) == len(edges) - 1 == len(_edges(wf))


def test_edges_that_fit_are_kept_int_to_float_and_item_into_a_collection() -> None:
    raw = workflow([node("a", "integer", {"value": 1}), node("f", "float_math", {"operation": "ADD"}),
                    node("c", "collect", {}), node("i", "iterate", {})],
                   [edge("a", "value", "f", "a"), edge("a", "value", "c", "item"), edge("c", "collection", "i",
                                                                                      "collection")])
    wf = Workflow.load(raw, context=context())
    assert _dropped(wf) == [] and len(_edges(wf)) == 3


def test_a_collect_node_takes_one_item_type() -> None:
    raw = workflow([node("a", "integer", {"value": 1}), node("s", "string", {"value": "x"}), node("c", "collect", {})],
                   [edge("a", "value", "c", "item"), edge("s", "value", "c", "item")])
    wf = Workflow.load(raw, context=context())
    (message,) = _dropped(wf)
    assert "Cannot mix and match collection item types" in message


def test_offline_only_edges_to_missing_nodes_are_dropped() -> None:
    raw = workflow([node("s", "string", {"value": "x"}), node("b", "add", {})],
                   [edge("s", "value", "b", "a"), edge("s", "value", "gone", "a")])
    wf = Workflow.load(raw)
    assert not wf.load_report.checked and len(wf.load_report.dropped) == 1
    assert _edges(wf) == [("s", "value", "b", "a")]  # the type mismatch is left for the pre-flight check
    wf.context = context()  # the checks run once a schema is known
    assert wf.load_report.checked and _edges(wf) == []


@pytest.mark.parametrize(("source", "target", "fits"), [
    (FieldType("IntegerField"), FieldType("FloatField"), True),
    (FieldType("FloatField"), FieldType("IntegerField"), False),
    (FieldType("IntegerField"), FieldType("StringField"), True),
    (FieldType("ImageField"), FieldType("ImageField", SINGLE_OR_COLLECTION), True),
    (FieldType("ImageField", COLLECTION), FieldType("ImageField", SINGLE_OR_COLLECTION), True),
    (FieldType("ImageField", COLLECTION), FieldType("ImageField"), False),
    (FieldType("CollectionItemField"), FieldType("LatentsField"), True),
    (FieldType("CollectionItemField"), FieldType("LatentsField", COLLECTION), False),
    (FieldType("CollectionField", COLLECTION), FieldType("IntegerField", COLLECTION), True),
    (FieldType("LatentsField"), FieldType("AnyField"), True),
    (FieldType("IntegerField", batch=True), FieldType("IntegerField", COLLECTION), False),
    (FieldType("StringField"), FieldType("EnumField", original=FieldType("StringField")), True),
])
def test_connection_types_fit_as_validate_connection_types_says(source: FieldType, target: FieldType,
                                                                fits: bool) -> None:
    assert connection_types_fit(source, target) is fits


def test_a_node_of_an_older_minor_version_is_updated_and_new_inputs_get_template_defaults() -> None:
    raw = workflow([node("n", "noise", {"seed": 3, "width": 64, "height": 64, "use_cpu": True, "stale": 1})])
    raw["nodes"][0]["data"]["version"] = "1.0.0"
    wf = Workflow.load(raw, context=context())
    data = wf.to_dict()["nodes"][0]["data"]
    assert data["version"] == "1.1.0" and list(data["inputs"]) == ["noise_type", "seed", "width", "height", "use_cpu"]
    assert data["inputs"]["noise_type"] == {"name": "noise_type", "label": "", "description": "", "value": "SD"}
    assert data["inputs"]["seed"]["value"] == 3  # stored values stay
    (note,) = wf.load_report.updated
    assert "1.0.0 to 1.1.0" in note.message and "noise_type" in note.message and "stale" in note.message
    assert wf.to_graph()["nodes"]["n"]["noise_type"] == "SD"


def test_an_updated_node_without_a_value_gets_the_template_default_a_board_auto() -> None:
    raw = workflow([node("i", "l2i", {"tiled": False, "board": MISSING}, intermediate=False)])
    raw["nodes"][0]["data"]["version"] = "1.0.0"
    inputs = Workflow.load(raw, context=context()).to_dict()["nodes"][0]["data"]["inputs"]
    assert inputs["board"]["value"] == "auto" and inputs["tile_size"]["value"] == 0 and "value" not in inputs["vae"]


def test_a_node_of_another_major_version_with_stale_inputs_is_refused_naming_it_by_label() -> None:
    raw = workflow([node("c", "color_correct", {"image": None, "reference": None}, label="Fix Colors")])
    wf = Workflow.load(raw, context=context())  # loads, as in the UI, with the reason recorded
    (note,) = wf.load_report.blocked
    assert note.message.startswith("Node update failed: node c of type color_correct (may require deleting")
    with pytest.raises(WorkflowError, match="Node update failed") as err:
        wf.to_graph()
    assert (err.value.node_id, err.value.node_label) == ("c", "Fix Colors")
    assert "'Fix Colors'" in str(err.value) and "'image', 'reference'" in str(err.value)
    assert any(p.node_id == "c" and "Node update failed" in p.message for p in wf.preflight())


def test_a_node_of_another_major_version_without_stale_inputs_runs_as_it_is_with_a_warning() -> None:
    raw = workflow([node("c", "color_correct", {"colorspace": "RGB"}, label="Fix Colors")])
    wf = Workflow.load(raw, context=context())
    assert wf.load_report.blocked == [] and "Node update failed" in wf.load_report.warnings[0].message
    assert wf.to_graph()["nodes"]["c"]["colorspace"] == "RGB"


def test_shipped_flux_workflows_have_a_node_the_ui_cannot_update() -> None:
    wf = Workflow.load(SHIPPED_DIR / "Flux Text to Image.json", context=context())
    (note,) = wf.load_report.blocked
    assert "flux_denoise" in note.message and "'board', 'metadata'" in note.message


def test_foreign_models_are_reset_and_installed_ones_kept() -> None:
    foreign = {**MODEL, "key": "somebody-elses-key", "name": "their-model"}
    raw = workflow([node("m", "main_model_loader", {"model": foreign}, label="Model"),
                    node("k", "main_model_loader", {"model": MODEL})])
    wf = Workflow.load(raw, context=context(models=TINY_MODELS))
    (note,) = wf.load_report.reset
    assert note.node_id == "m" and note.field == "model" and "somebody-elses-key" in note.message
    assert "'their-model'" in note.message
    graph = wf.to_graph()
    assert "model" not in graph["nodes"]["m"] and graph["nodes"]["k"]["model"] == MODEL
    assert any(p.node_id == "m" and "set it" in p.message for p in wf.preflight())


def test_foreign_boards_are_reset_to_auto() -> None:
    raw = workflow([node("s", "save_image", {"board": {"board_id": "their-board"}}, intermediate=False),
                    node("t", "save_image", {"board": {"board_id": "b-1"}}, intermediate=False)])
    boards = [{"board_id": "b-1", "board_name": "Mine"}]
    wf = Workflow.load(raw, context=context(boards=boards))
    assert [n.node_id for n in wf.load_report.reset] == ["s"]
    batch = wf.to_batch(board="Mine")
    assert batch["graph"]["nodes"]["s"]["board"] == {"board_id": "b-1"}  # auto: the board given for this run
    assert "board" not in wf.to_graph()["nodes"]["s"] and wf.to_graph()["nodes"]["t"]["board"] == {"board_id": "b-1"}


def test_foreign_images_are_reset_and_those_on_the_server_kept() -> None:
    raw = workflow([node("i", "image", {"image": {"image_name": "theirs.png"}}),
                    node("j", "image", {"image": {"image_name": "mine.png"}}),
                    node("c", "image_collection", {"images": [{"image_name": "mine.png"}, {"image_name": "x.png"}]})])
    ctx = context()
    ctx.image_exists = lambda name: name == "mine.png"
    wf = Workflow.load(raw, context=ctx)
    assert sorted(n.node_id for n in wf.load_report.reset) == ["c", "i"]
    graph = wf.to_graph()
    assert "image" not in graph["nodes"]["i"] and graph["nodes"]["j"]["image"] == {"image_name": "mine.png"}
    assert graph["nodes"]["c"]["images"] == [{"image_name": "mine.png"}]


def test_without_a_model_list_nothing_is_reset() -> None:
    foreign = {**MODEL, "key": "somebody-elses-key"}
    wf = Workflow.load(workflow([node("m", "main_model_loader", {"model": foreign})]), context=context())
    assert wf.load_report.reset == [] and wf.to_graph()["nodes"]["m"]["model"] == foreign


def test_form_fields_of_removed_inputs_are_deleted_and_image_collection_fields_renamed() -> None:
    raw = workflow([node("c", "image_collection", {"collection": [{"image_name": "a.png"}], "images": []}),
                    node("a", "add", {"a": 1})],
                   exposedFields=[{"nodeId": "c", "fieldName": "collection"}],
                   form={"rootElementId": "root", "elements": {
                       "root": {"id": "root", "type": "container", "data": {"layout": "column",
                                                                             "children": ["f1", "f2"]}},
                       "f1": {"id": "f1", "type": "node-field", "parentId": "root",
                              "data": {"fieldIdentifier": {"nodeId": "a", "fieldName": "gone"}}},
                       "f2": {"id": "f2", "type": "node-field", "parentId": "root",
                              "data": {"fieldIdentifier": {"nodeId": "c", "fieldName": "collection"}}}}})
    raw["nodes"][0]["data"]["version"] = "1.0.1"
    wf = Workflow.load(raw, context=context())
    out = wf.to_dict()
    assert out["nodes"][0]["data"]["inputs"]["images"]["value"] == [{"image_name": "a.png"}]  # migrated < 1.0.2
    assert out["exposedFields"] == [{"nodeId": "c", "fieldName": "images"}]
    assert set(out["form"]["elements"]) == {"root", "f2"}
    assert out["form"]["elements"]["f2"]["data"]["fieldIdentifier"]["fieldName"] == "images"
    assert "Deleted missing form field: node a field gone" in wf.load_report.warnings[0].message


def test_the_report_reads_as_text_and_as_data() -> None:
    raw = workflow([node("n", "noise", {"seed": 1}, label="Noise")], [edge("n", "noise", "ghost", "x")])
    wf = Workflow.load(raw, context=context())
    lines = wf.load_report.lines()
    assert lines[0] == "schema 3.0.0, checked against the server's node templates"
    assert lines[1].startswith("dropped: node 'n' ('Noise'), field 'noise': Deleted invalid edge n.noise -> ghost.x")
    data = wf.load_report.to_dict()
    assert data["checked"] is True and data["notes"][0]["kind"] == "dropped"
