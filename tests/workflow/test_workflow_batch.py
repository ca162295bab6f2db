"""``Batch``: one object for whatever is sent, built once from a workflow, a graph, a batch or a body."""

from __future__ import annotations

import copy

import pytest
from _graphs import blank_resize
from wfbuild import SDXL, TINY_MODELS, context, node, workflow

from invokekit.errors import ParameterError, PreflightError, WorkflowError
from invokekit.workflow import Batch, ServerContext, Workflow, _convert


def test_a_graph_a_batch_and_an_enqueue_body_all_become_one_batch() -> None:
    graph = blank_resize()
    kept = copy.deepcopy(graph)
    from_graph = Batch.of(graph)
    assert from_graph.graph["nodes"] == graph["nodes"] and from_graph.graph["id"]  # an id is given
    assert graph == kept  # the source is left alone
    assert from_graph.output_nodes == ["resize"] and from_graph.labels == {} and from_graph.runs == 1

    editor = {"nodes": [{"id": "resize", "type": "invocation", "data": {"id": "resize", "label": "Final"}}]}
    batch = {"graph": graph, "runs": 3, "batch_id": "old", "workflow": editor, "destination": "mine", "x": 1}
    from_batch = Batch.of(batch)
    assert from_batch.runs == 3 and from_batch.destination == "mine" and from_batch.to_dict()["x"] == 1
    assert "batch_id" not in from_batch.to_dict()  # the client picks a fresh one
    assert from_batch.labels == {"resize": "Final"} and from_batch.node_label("blank") == "blank"
    assert Batch.of(batch, runs=2).runs == 2

    body = Batch.of({"batch": batch, "prepend": True})
    assert body.prepend and body.runs == 3 and body.graph["nodes"] == graph["nodes"]
    with pytest.raises(WorkflowError, match="cannot submit a list"):
        Batch.of([graph])  # type: ignore[arg-type]
    with pytest.raises(WorkflowError, match="holds no graph"):
        Batch.of({"batch": {"runs": 1}})


def test_fields_are_set_and_swept_by_node_id_and_field() -> None:
    batch = Batch.of(blank_resize()).set({"resize.width": 64}).sweep("resize.height", [8, 16, 24])
    assert batch.graph["nodes"]["resize"]["width"] == 64
    assert batch.data == [[{"node_path": "resize", "field_name": "height", "items": [8, 16, 24]}]]
    assert batch.item_count == 3
    batch.runs = 2
    assert batch.item_count == 6
    assert batch.set_text("resize.width", "72").graph["nodes"]["resize"]["width"] == 72
    assert batch.value_from_text("resize.resample_mode", "lanczos") == "lanczos"
    with pytest.raises(ParameterError, match=r"node_id\.field") as err:
        batch.set({"width": 3})
    assert err.value.candidates == ["blank", "resize"]
    with pytest.raises(ParameterError, match=r"node_id\.field"):
        batch.sweep("nope.width", [1])
    with pytest.raises(ParameterError, match="non-empty list"):
        batch.sweep("resize.width", [])
    with pytest.raises(ParameterError, match="runs"):
        batch.runs = 0


def test_a_graph_is_built_node_by_node_like_invokeais_graph_class() -> None:
    built = (Batch().add_node("blank", "blank_image", width=16, height=16, is_intermediate=True)
             .add_node("resize", "img_resize", width=40, height=24, use_cache=False)
             .add_edge("blank", "image", "resize", "image"))
    assert built.graph["nodes"] == blank_resize()["nodes"] and built.graph["edges"] == blank_resize()["edges"]
    with pytest.raises(WorkflowError, match="already in the graph"):
        built.add_node("blank", "blank_image")
    with pytest.raises(WorkflowError, match="already exists"):
        built.add_edge("blank", "image", "resize", "image")
    with pytest.raises(ParameterError, match="no node 'nope'"):
        built.add_edge("nope", "image", "resize", "image")


def test_the_board_goes_to_the_output_nodes_that_take_one() -> None:
    graph = blank_resize()
    graph["nodes"]["save"] = {"id": "save", "type": "save_image", "is_intermediate": False}
    batch = Batch.of(graph, context=context(), board={"board_id": "b-1"})
    assert batch.graph["nodes"]["save"]["board"] == {"board_id": "b-1"}
    assert batch.graph["nodes"]["resize"]["board"] == {"board_id": "b-1"}  # img_resize saves, it takes a board
    assert "board" not in batch.graph["nodes"]["blank"]  # intermediate

    raw = workflow([node("s", "save_image", {"board": "auto"}, intermediate=False),
                    node("t", "save_image", {"board": {"board_id": "fixed"}}, intermediate=False)])
    from_wf = Batch.of(Workflow.load(raw), context=context())
    from_wf.set_board({"board_id": "later"})  # a workflow's auto boards only, as in the UI
    assert from_wf.graph["nodes"]["s"]["board"] == {"board_id": "later"}
    assert from_wf.graph["nodes"]["t"]["board"] == {"board_id": "fixed"}


def test_a_board_missing_from_the_cached_list_is_looked_up_again() -> None:
    reads: list[int] = []

    def fetch() -> list[dict]:
        reads.append(1)
        return [{"board_id": "id-new", "board_name": "New"}]

    ctx = ServerContext(schema=context().schema, boards=[{"board_id": "id-1", "board_name": "Old"}], fetch_boards=fetch)
    assert ctx.board_id("Old") == "id-1" and reads == []  # a hit costs nothing
    assert ctx.board_id("New") == "id-new" and reads == [1]
    assert ctx.boards == [{"board_id": "id-new", "board_name": "New"}]  # the cache is the fresh list now
    raw = workflow([node("s", "save_image", {"board": "auto"}, intermediate=False)])
    assert Batch.of(Workflow.load(raw), context=ctx, board="New").graph["nodes"]["s"]["board"] == {"board_id": "id-new"}
    with pytest.raises(ParameterError, match="does not exist") as err:
        ctx.board_id("Never")
    assert err.value.candidates == ["New (id-new)"] and reads == [1, 1]


def test_a_workflow_is_converted_once_and_keeps_its_labels(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = _convert.Converter.graph

    def counted(self: _convert.Converter) -> dict:
        calls.append(1)
        return real(self)

    monkeypatch.setattr(_convert.Converter, "graph", counted)
    wf = Workflow.load(SDXL).set(model="tiny-sdxl", vae="tiny-sdxl-vae")
    batch = Batch.of(wf, context=context(models=TINY_MODELS), sweep={"seed": [1, 2]}, runs=2, strict=False)
    batch.check()  # the pre-flight reads the batch: no second conversion
    assert len(calls) == 1
    expected = wf.to_batch(context(models=TINY_MODELS), sweep={"seed": [1, 2]}, runs=2)
    got = batch.to_dict()
    assert {k: v for k, v in got.items() if k != "graph"} == {k: v for k, v in expected.items() if k != "graph"}
    assert got["graph"]["nodes"] == expected["graph"]["nodes"] and got["graph"]["edges"] == expected["graph"]["edges"]
    assert batch.output_nodes == wf.output_nodes and batch.item_count == 4
    assert {batch.labels[n] for n in batch.output_nodes} == {wf.node_label(n) for n in wf.output_nodes}


def test_problems_found_while_converting_are_kept_for_the_preflight() -> None:
    wf = Workflow.load(SDXL).set(model="nope", width=130)  # an unknown model; a width the schema refuses
    with pytest.raises(ParameterError, match="no model 'nope'"):
        Batch.of(wf, context=context(models=TINY_MODELS))  # strict: the first problem is raised
    batch = Batch.of(wf, context=context(models=TINY_MODELS), strict=False)
    assert {p.field for p in batch.problems} == {"model", "width"}
    with pytest.raises(PreflightError) as info:
        batch.check()
    fields = [p.field for p in info.value.problems]
    assert fields.count("model") == 1 and "width" in fields and "vae_model" in fields  # every problem, once
    assert all(p.node_label for p in info.value.problems)
    with pytest.raises(ParameterError, match="no model 'nope'"):
        batch.raise_errors()


def test_a_raw_graph_is_preflighted_with_the_same_checks() -> None:
    graph = blank_resize()
    graph["nodes"]["resize"]["width"] = "wide"
    problems = Batch.of(graph).preflight(context())
    assert [(p.node_id, p.field) for p in problems] == [("resize", "width")]
    with pytest.raises(WorkflowError, match="needs the server's schema"):
        Batch.of(graph).preflight()
