"""The conversion rules of InvokeAI's ``buildNodesGraph``/``useEnqueueWorkflows``, one by one, on tiny workflows."""

from __future__ import annotations

import uuid

import pytest
from wfbuild import MISSING, TINY_MODELS, connector, context, edge, node, notes, workflow

from invokekit.errors import ParameterError, WorkflowError
from invokekit.workflow import Workflow


def graph_of(raw: dict, ctx=None) -> dict:
    return Workflow.load(raw).to_graph(context=ctx)


def test_only_executable_invocation_nodes_become_graph_nodes() -> None:
    raw = workflow([
        node("a", "integer", {"value": 1}), notes("n"), connector("c"),
        node("b", "integer_batch", {"integers": [1, 2], "batch_group_id": "None"}),
        node("g", "integer_generator", {"generator": {"type": "integer_generator_arithmetic_sequence"}}),
    ])
    assert list(graph_of(raw)["nodes"]) == ["a"]


def test_inputs_with_values_become_keys_missing_values_are_left_out_null_is_kept() -> None:
    raw = workflow([node("a", "string_join", {"string_left": "x", "string_right": MISSING}),
                    node("m", "core_metadata", {"seed": None})])
    nodes = graph_of(raw)["nodes"]
    assert nodes["a"] == {"type": "string_join", "id": "a", "string_left": "x", "use_cache": True,
                          "is_intermediate": True}
    assert "seed" in nodes["m"] and nodes["m"]["seed"] is None


def test_use_cache_and_is_intermediate_come_from_the_node_and_ids_are_kept() -> None:
    raw = workflow([node("my-node", "integer", {"value": 3}, intermediate=False, use_cache=False)])
    graph = graph_of(raw)
    assert graph["nodes"]["my-node"]["use_cache"] is False
    assert graph["nodes"]["my-node"]["is_intermediate"] is False
    uuid.UUID(graph["id"])  # a fresh uuid, as the UI makes
    assert graph_of(raw)["id"] != graph["id"]


def test_with_a_schema_unknown_inputs_are_dropped_except_on_core_metadata() -> None:
    raw = workflow([node("a", "integer", {"value": 3, "bogus": 1}), node("m", "core_metadata", {"my_extra": "kept"})])
    wf = Workflow.load(raw)
    nodes = wf.to_graph(context=context())["nodes"]
    assert "bogus" not in nodes["a"] and nodes["a"]["value"] == 3
    assert nodes["m"]["my_extra"] == "kept"
    assert any("bogus" in w for w in wf.warnings)
    assert graph_of(raw)["nodes"]["a"]["bogus"] == 1  # offline nothing is known to drop


@pytest.mark.parametrize("value", ["auto", "", None, MISSING, "none"])
def test_board_auto_empty_and_none_are_left_out(value: object) -> None:
    raw = workflow([node("s", "save_image", {"board": value}, intermediate=False)])
    assert "board" not in graph_of(raw)["nodes"]["s"]
    assert "board" not in graph_of(raw, context())["nodes"]["s"]


def test_board_auto_means_the_board_given_to_the_batch_and_board_ids_are_kept() -> None:
    raw = workflow([node("s", "save_image", {"board": "auto"}, intermediate=False),
                    node("t", "save_image", {"board": {"board_id": "fixed"}}, intermediate=False),
                    node("u", "save_image", {"board": "none"}, intermediate=False),
                    node("v", "save_image", {"board": MISSING}, intermediate=False)])
    batch = Workflow.load(raw).to_batch(board={"board_id": "b-1"})
    assert batch["graph"]["nodes"]["s"]["board"] == {"board_id": "b-1"}
    assert batch["graph"]["nodes"]["v"]["board"] == {"board_id": "b-1"}  # no value = "auto" in the UI
    assert batch["graph"]["nodes"]["t"]["board"] == {"board_id": "fixed"}
    assert "board" not in batch["graph"]["nodes"]["u"]


def test_board_names_resolve_through_the_server_boards() -> None:
    raw = workflow([node("s", "save_image", {"board": "auto"}, intermediate=False)])
    boards = [{"board_id": "id-1", "board_name": "Cats"}, {"board_id": "id-2", "board_name": "Dogs"}]
    wf = Workflow.load(raw).set(board="Dogs")
    assert wf.to_graph(context(boards=boards))["nodes"]["s"]["board"] == {"board_id": "id-2"}
    assert Workflow.load(raw).to_batch(context(boards=boards), board="Cats")["graph"]["nodes"]["s"]["board"] == {
        "board_id": "id-1"}
    with pytest.raises(ParameterError, match="needs the server's board list"):
        wf.to_graph()
    with pytest.raises(ParameterError, match="does not exist") as err:
        Workflow.load(raw).set(board="Birds").to_graph(context(boards=boards))
    assert "Cats (id-1)" in err.value.candidates


def test_collapsed_edges_are_dropped_and_fed_inputs_are_removed() -> None:
    raw = workflow(
        [node("a", "integer", {"value": 1}), node("b", "add", {"a": 5, "b": 2})],
        [edge("a", "value", "b", "a"), edge("a", "", "b", "", kind="collapsed")],
    )
    graph = graph_of(raw)
    assert graph["edges"] == [{"source": {"node_id": "a", "field": "value"},
                               "destination": {"node_id": "b", "field": "a"}}]
    assert "a" not in graph["nodes"]["b"] and graph["nodes"]["b"]["b"] == 2


def test_edges_through_connectors_are_resolved_and_duplicates_removed() -> None:
    raw = workflow(
        [node("a", "integer", {"value": 1}), connector("c1"), connector("c2"), node("b", "add", {"a": 0, "b": 0})],
        [edge("a", "value", "c1", "in"), edge("c1", "out", "c2", "in"), edge("c2", "out", "b", "a"),
         edge("a", "value", "b", "a"), edge("c1", "out", "b", "b")],
    )
    graph = graph_of(raw)
    pairs = [(e["source"]["node_id"], e["source"]["field"], e["destination"]["field"]) for e in graph["edges"]]
    assert pairs == [("a", "value", "a"), ("a", "value", "b")]
    assert graph["nodes"]["b"] == {"type": "add", "id": "b", "use_cache": True, "is_intermediate": True}


def test_a_connector_fed_by_nothing_gives_no_edge() -> None:
    raw = workflow([connector("c"), node("b", "add", {"a": 4})], [edge("c", "out", "b", "a")])
    graph = graph_of(raw)
    assert graph["edges"] == [] and graph["nodes"]["b"]["a"] == 4


def _batch_workflow(group_a: str, group_b: str) -> dict:
    return workflow(
        [node("ia", "integer_batch", {"integers": [1, 2, 3], "batch_group_id": group_a}),
         node("sb", "string_batch", {"strings": ["x", "y", "z"], "batch_group_id": group_b}),
         node("add", "add", {"a": 0, "b": 0}), node("add2", "add", {"a": 0, "b": 0}),
         node("s", "string", {"value": ""})],
        [edge("ia", "value", "add", "a"), edge("ia", "value", "add2", "a"), edge("sb", "value", "s", "value")],
    )


def test_ungrouped_batch_nodes_are_separate_lists_one_entry_per_edge() -> None:
    batch = Workflow.load(_batch_workflow("None", "None")).to_batch()
    assert batch["data"] == [
        [{"node_path": "add", "field_name": "a", "items": [1, 2, 3]},
         {"node_path": "add2", "field_name": "a", "items": [1, 2, 3]}],
        [{"node_path": "s", "field_name": "value", "items": ["x", "y", "z"]}],
    ]
    assert batch["graph"]["edges"] == []  # batch nodes are not graph nodes, so their edges go too
    assert batch["graph"]["nodes"]["add"]["a"] == 0  # kept, as the UI does; the server substitutes the items


def test_batch_nodes_in_the_same_group_are_zipped() -> None:
    batch = Workflow.load(_batch_workflow("Group 1", "Group 1")).to_batch()
    assert len(batch["data"]) == 1 and len(batch["data"][0]) == 3


def test_mismatched_zipped_lists_are_refused() -> None:
    raw = _batch_workflow("Group 1", "Group 1")
    raw["nodes"][1]["data"]["inputs"]["strings"]["value"] = ["only one"]
    with pytest.raises(WorkflowError, match="differ in length"):
        Workflow.load(raw).to_batch()


def test_image_batch_uses_the_image_handle() -> None:
    raw = workflow([node("ib", "image_batch", {"images": [{"image_name": "a.png"}], "batch_group_id": "None"}),
                    node("r", "img_resize", {"image": MISSING})], [edge("ib", "image", "r", "image")])
    assert Workflow.load(raw).to_batch()["data"] == [
        [{"node_path": "r", "field_name": "image", "items": [{"image_name": "a.png"}]}]]


@pytest.mark.parametrize(("generator", "expected"), [
    ({"type": "integer_generator_arithmetic_sequence", "start": 2, "step": 3, "count": 3}, [2, 5, 8]),
    ({"type": "integer_generator_linear_distribution", "start": 0, "end": 10, "count": 3}, [0, 5, 10]),
    ({"type": "integer_generator_parse_string", "input": "4, 5,x, 6", "splitOn": ","}, [4, 5, 6]),
    ({"type": "integer_generator_random_distribution_uniform", "min": 0, "max": 10, "count": 2, "seed": 1}, None),
])
def test_generators_feed_batch_nodes(generator: dict, expected: list | None) -> None:
    raw = workflow([node("g", "integer_generator", {"generator": generator}),
                    node("ib", "integer_batch", {"integers": MISSING, "batch_group_id": "None"}),
                    node("add", "add", {"a": 0})],
                   [edge("g", "integers", "ib", "integers"), edge("ib", "value", "add", "a")])
    items = Workflow.load(raw).to_batch()["data"][0][0]["items"]
    if expected is None:  # seeded: reproducible, in range
        assert items == Workflow.load(raw).to_batch()["data"][0][0]["items"] and all(0 <= i <= 10 for i in items)
    else:
        assert items == expected


def test_the_batch_carries_the_workflow_without_its_id() -> None:
    raw = workflow([node("a", "integer", {"value": 1})])
    batch = Workflow.load(raw).to_batch(runs=3)
    assert set(batch) == {"graph", "workflow", "data", "runs", "origin", "destination"}
    assert (batch["runs"], batch["origin"], batch["destination"], batch["data"]) == (3, "workflows", "gallery", [])
    assert "id" not in batch["workflow"] and batch["workflow"]["name"] == "tiny"
    assert batch["workflow"]["nodes"][0]["data"]["inputs"]["value"]["value"] == 1
    with pytest.raises(ParameterError):
        Workflow.load(raw).to_batch(runs=0)


def _loader_workflow() -> dict:
    return workflow([node("m", "sdxl_model_loader", {"model": MISSING}),
                     node("v", "vae_loader", {"vae_model": MISSING})])


def test_model_names_resolve_to_identifiers_filtered_by_the_field() -> None:
    wf = Workflow.load(_loader_workflow()).set(model="tiny-sdxl", vae="tiny-sdxl-vae")
    nodes = wf.to_graph(context(models=TINY_MODELS))["nodes"]
    assert nodes["m"]["model"] == {"key": "k-main", "hash": "blake3:aa", "name": "tiny-sdxl", "base": "sdxl",
                                   "type": "main"}
    assert nodes["v"]["vae_model"]["key"] == "k-vae"
    by_key = Workflow.load(_loader_workflow()).set(model="k-main").to_graph(context(models=TINY_MODELS))
    assert by_key["nodes"]["m"]["model"]["name"] == "tiny-sdxl"
    # without the schema, the alias still narrows by type
    assert wf.to_graph(context(models=TINY_MODELS, with_schema=False))["nodes"]["v"]["vae_model"]["type"] == "vae"


def test_model_that_does_not_fit_the_field_or_is_ambiguous_lists_what_the_server_has() -> None:
    with pytest.raises(ParameterError, match="no model 'tiny-sd1'") as err:  # an SD1 model in an SDXL loader
        Workflow.load(_loader_workflow()).set(model="tiny-sd1").to_graph(context(models=TINY_MODELS))
    assert any("tiny-sdxl" in c for c in err.value.candidates) and err.value.field == "model"
    twins = [*TINY_MODELS, {**TINY_MODELS[0], "key": "k-other"}]
    with pytest.raises(ParameterError, match="ambiguous"):
        Workflow.load(_loader_workflow()).set(model="tiny-sdxl").to_graph(context(models=twins))


def test_model_names_need_a_server_but_identifiers_do_not() -> None:
    with pytest.raises(ParameterError, match="needs the server's model list"):
        Workflow.load(_loader_workflow()).set(model="tiny-sdxl").to_graph()
    ident = dict(TINY_MODELS[0])
    assert Workflow.load(_loader_workflow()).set(model=ident).to_graph()["nodes"]["m"]["model"] == ident


def test_call_saved_workflow_inputs_are_gathered_and_edge_fed_ones_removed() -> None:
    prefix = "saved_workflow_input::"
    raw = workflow(
        [node("i", "integer", {"value": 1}),
         node("c", "call_saved_workflow", {"workflow_id": "w", "workflow_inputs": {}, f"{prefix}n::a": 5,
                                           f"{prefix}n::b": 6})],
        [edge("i", "value", "c", f"{prefix}n::b")],
    )
    assert graph_of(raw)["nodes"]["c"]["workflow_inputs"] == {f"{prefix}n::a": 5}


def test_preflight_checks_batch_items_and_cycles() -> None:
    raw = workflow(
        [node("ib", "integer_batch", {"integers": [8, 13], "batch_group_id": "None"}),
         node("n", "noise", {"width": 64, "height": 64}),
         node("a", "add", {"a": 0, "b": 0}), node("b", "add", {"a": 0, "b": 0})],
        [edge("ib", "value", "n", "width"), edge("a", "value", "b", "b"), edge("b", "value", "a", "b")],
    )
    problems = Workflow.load(raw).preflight(context())
    assert any(p.node_id == "n" and p.field == "width" and "13" in p.message for p in problems)
    assert any("cycle" in p.message for p in problems)


@pytest.mark.parametrize("generator", [
    {"type": "integer_generator_arithmetic_sequence", "count": 10**9},
    {"type": "integer_generator_linear_distribution", "count": "ten"},
    {"type": "integer_generator_dynamic_prompts"},
    "not a dict",
])
def test_generators_that_cannot_be_expanded_are_workflow_errors(generator: object) -> None:
    raw = workflow([node("g", "integer_generator", {"generator": generator}),
                    node("ib", "integer_batch", {"integers": MISSING, "batch_group_id": "None"}),
                    node("add", "add", {"a": 0})],
                   [edge("g", "integers", "ib", "integers"), edge("ib", "value", "add", "a")])
    with pytest.raises(WorkflowError) as err:
        Workflow.load(raw).to_batch()
    assert err.value.node_id == "g" and err.value.field == "generator"


def test_seeded_random_generators_use_mt19937_like_the_ui() -> None:
    from invokekit.workflow._generators import _MersenneTwister

    twister = _MersenneTwister(5489)  # the reference sequence of MT19937's init_genrand(5489)
    assert [twister._int32() for _ in range(3)] == [3499211612, 581869302, 3890346734]


def test_preflight_names_connections_that_can_never_work() -> None:
    raw = workflow(
        [node("img", "blank_image", {"width": 64, "height": 64}), node("i", "integer", {"value": 3}),
         node("den", "denoise_latents", {"positive_conditioning": MISSING, "steps": 0})],
        [edge("img", "image", "den", "positive_conditioning"), edge("i", "value", "den", "steps")],
    )
    problems = [p for p in Workflow.load(raw).preflight(context()) if "cannot take" in p.message]
    assert [(p.node_id, p.field) for p in problems] == [("den", "positive_conditioning")]
    assert "ImageField" in problems[0].message and "ConditioningField" in problems[0].message


def test_images_and_enum_strings_can_be_swept() -> None:
    raw = workflow([node("r", "img_resize", {"image": MISSING, "width": 64, "height": 64}),
                    node("ip", "ip_adapter", {"clip_vision_model": "ViT-H"})])
    images = [{"image_name": "a.png"}, {"image_name": "b.png"}]
    data = Workflow.load(raw).to_batch(sweep={"r.image": images, "ip.clip_vision_model": ["ViT-H", "ViT-G"]})["data"]
    assert data == [[{"node_path": "r", "field_name": "image", "items": images}],
                    [{"node_path": "ip", "field_name": "clip_vision_model", "items": ["ViT-H", "ViT-G"]}]]
