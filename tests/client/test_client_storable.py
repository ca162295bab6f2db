"""Values the server cannot store are refused before anything is sent (issue 16, points 1, 7, 8).

A prompt holding a lone surrogate would be stored by InvokeAI as an item it can never read back
(HTTP 500, not cancelable, the queue jammed for every user); NaN/Infinity are not JSON. Each is a
typed error naming node and field, and the real server's queue is unchanged. A mistyped path is
"no such workflow file", not a library lookup.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from invokekit.client import Client
from invokekit.errors import InvokekitError, ParameterError, PreflightError, WorkflowError
from invokekit.workflow import Batch, Workflow

SDXL = "Text to Image - SDXL"
TINY = {"model": "tiny-sdxl", "vae": "tiny-sdxl-vae", "width": 128, "height": 128, "steps": 2}
BAD_TEXT = "caf\udce9"  # what Python makes of b"caf\xe9" from a non-UTF-8 shell


@pytest.fixture
def client(invokeai_sandbox):
    with Client(invokeai_sandbox.url, db_path=invokeai_sandbox.db_path) as c:
        yield c


def small_graph() -> Batch:
    return (Batch().add_node("blank", "blank_image", width=16, height=16, is_intermediate=True)
            .add_node("resize", "img_resize", width=24, height=24, use_cache=False)
            .add_edge("blank", "image", "resize", "image"))


def _nothing_enqueued(client: Client, before: list[int]) -> None:
    after = client.queue.item_ids()
    if after != before:  # never leave an unreadable item jamming the queue
        client.queue.clear()
    assert after == before


@pytest.mark.server
def test_a_lone_surrogate_prompt_is_refused_naming_node_and_field(client: Client, tmp_path: Path) -> None:
    wf = client.workflow(SDXL).set(**TINY)
    before = client.queue.item_ids()
    with pytest.raises(ParameterError) as info:
        wf.set(positive_prompt=BAD_TEXT)
    assert "invalid Unicode" in str(info.value) and info.value.node_id and info.value.field
    # the command line's way (text typed by the field), through the one pipeline
    with pytest.raises(ParameterError, match="invalid Unicode"):
        client.submit(SDXL, sets={"positive_prompt": BAD_TEXT, **{k: str(v) for k, v in TINY.items()}},
                      text=True, journal=tmp_path / "j.jsonl")
    # a sweep value, and a built batch (set, sweep, and a raw graph sent unchecked)
    with pytest.raises(ParameterError, match="invalid Unicode"):
        client.submit(wf, sweep={"positive_prompt": ["fine", BAD_TEXT]})
    batch = Batch.of(wf, context=client.context())
    prompt_node = next(n for n, node in batch.graph["nodes"].items()
                       if isinstance(node.get("value"), str) or isinstance(node.get("prompt"), str))
    field = "value" if "value" in batch.graph["nodes"][prompt_node] else "prompt"
    with pytest.raises(ParameterError) as info:
        batch.set({f"{prompt_node}.{field}": BAD_TEXT})
    assert (info.value.node_id, info.value.field) == (prompt_node, field)
    with pytest.raises(ParameterError, match="invalid Unicode"):
        batch.sweep(f"{prompt_node}.{field}", [BAD_TEXT])
    raw = batch.to_dict()
    raw["graph"]["nodes"][prompt_node][field] = BAD_TEXT
    with pytest.raises(PreflightError) as refused:
        client.submit(raw, check=False, journal=tmp_path / "raw.jsonl")
    [problem] = refused.value.problems
    assert (problem.node_id, problem.field) == (prompt_node, field)
    assert Batch.of(raw).preflight(client.context())[0].field == field  # the pre-flight names it too
    _nothing_enqueued(client, before)
    assert not (tmp_path / "j.jsonl").exists() and not (tmp_path / "raw.jsonl").exists()


@pytest.mark.server
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_nan_and_infinity_are_refused_before_the_post(client: Client, bad: float) -> None:
    before = client.queue.item_ids()
    raw = small_graph().to_dict()
    raw["graph"]["nodes"]["resize"]["width"] = bad
    with pytest.raises(PreflightError, match="not a JSON number") as info:
        client.submit(raw, check=False)  # unchecked: the server's validation would never see it
    assert [(p.node_id, p.field) for p in info.value.problems] == [("resize", "width")]
    with pytest.raises(ParameterError, match="not a JSON number"):
        small_graph().set({"resize.width": bad})
    _nothing_enqueued(client, before)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_a_file_holding_nan_is_a_workflow_error(tmp_path: Path, literal: str) -> None:
    path = tmp_path / "graph.json"
    path.write_text('{"graph": {"id": "g", "nodes": {"n": {"id": "n", "type": "integer", "value": ' + literal
                    + '}}, "edges": []}, "runs": 1}', encoding="utf-8")
    with pytest.raises(WorkflowError, match=f"{literal.lstrip('-')} is not JSON") as info:
        Workflow.load(path)
    assert info.value.file == str(path)


@pytest.mark.parametrize("depth", [150, 900, 5000])
def test_deeply_nested_json_is_a_workflow_error(tmp_path: Path, depth: int) -> None:
    # a graph whose value nests deeply: it parses, and copying it used to raise RecursionError
    path = tmp_path / "deep.json"
    path.write_text('{"nodes": {"n": {"id": "n", "type": "integer", "value": ' + "[" * depth + "]" * depth
                    + '}}, "edges": []}', encoding="utf-8")
    offline = Client("http://127.0.0.1:9")  # loading an API JSON file asks no server
    with pytest.raises(WorkflowError, match="nested") as info:
        offline.load(path)
    assert isinstance(info.value, InvokekitError) and info.value.file == str(path)
    deep: object = 0
    for _ in range(depth):
        deep = [deep]
    with pytest.raises(WorkflowError, match="nested"):
        Batch.of({"nodes": {"n": {"id": "n", "type": "integer", "value": deep}}, "edges": []})


WRONG_SHAPES = {
    "a node that is no object": ({"nodes": {"n": 5}, "edges": []}, "n"),
    "a node without a type": ({"nodes": {"n": {"id": "n"}}, "edges": []}, "n"),
    "edges that are no list": ({"nodes": {}, "edges": "x"}, None),
    "an edge without its ends": ({"nodes": {}, "edges": [{"source": 1}]}, None),
    "an edge that is a list": ({"nodes": {}, "edges": [[1]]}, None),
    "data that is text": ({"graph": {"nodes": {}, "edges": []}, "data": "x", "runs": 1}, None),
    "a data entry without items": ({"graph": {"nodes": {}, "edges": []}, "data": [[{"x": 1}]], "runs": 1}, None),
}


@pytest.mark.parametrize("case", list(WRONG_SHAPES))
def test_a_raw_graph_of_the_wrong_shape_is_a_workflow_error(tmp_path: Path, case: str) -> None:
    raw, node_id = WRONG_SHAPES[case]
    path = tmp_path / "graph.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(WorkflowError) as info:
        Client("http://127.0.0.1:9").load(path)
    assert info.value.file == str(path) and info.value.node_id == node_id


@pytest.mark.server
@pytest.mark.parametrize("where", ["/tmp/no-such-dir/wf.json", "no-such-dir/wf", "typo.json"])
def test_a_mistyped_path_is_no_such_workflow_file(client: Client, tmp_path: Path, where: str) -> None:
    for source in (where, Path(where)):
        with pytest.raises(WorkflowError, match="no such workflow file") as info:
            client.submit(str(source) if isinstance(source, Path) else source)
        assert info.value.file == where
    with pytest.raises(WorkflowError, match="is a folder"):
        client.workflow(str(tmp_path) + "/")


@pytest.mark.server
def test_a_library_name_with_a_slash_still_loads(client: Client) -> None:
    names = [str(w.get("name")) for w in client.workflows.list()]
    slashed = next(n for n in names if "/" in n)  # shipped: "... Wan 2.2 Lightning w/ Concept LoRAs"
    assert client.workflow(slashed).to_dict()["name"] == slashed


def test_a_json_literal_surrogate_in_a_file_is_refused_when_set(tmp_path: Path) -> None:
    # "\\udce9" in JSON text parses to a lone surrogate: the file loads, the value is refused when sent
    raw = small_graph().to_dict()
    text = json.dumps(raw).replace('"type": "img_resize"', '"type": "img_resize", "metadata": "\\udce9"')
    path = tmp_path / "g.json"
    path.write_text(text, encoding="utf-8")
    batch = Batch.of(json.loads(path.read_text(encoding="utf-8")))
    from invokekit.workflow._storable import graph_problems

    [problem] = graph_problems(batch.graph, batch.data, batch.labels)
    assert (problem.node_id, problem.field) == ("resize", "metadata")
