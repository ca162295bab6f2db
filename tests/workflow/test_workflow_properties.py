"""Property tests: mutated shipped workflows only ever raise invokekit's own ``WorkflowError``.

Each example takes a shipped workflow, breaks it one way (drop a key, change a value's type,
dangle an edge, truncate the JSON), then loads, lists parameters, sets values, converts, builds the
batch and runs the pre-flight check. Any exception that is not a ``WorkflowError`` fails the test.
"""

from __future__ import annotations

import contextlib
import copy
import json
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from wfbuild import SHIPPED, TINY_MODELS, context

from invokekit.errors import WorkflowError
from invokekit.workflow import Workflow

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# one small and one large workflow of each schema version, plus the SDXL reference
PICKED = [p for p in SHIPPED if p.stem in ("Text to Image - SDXL", "Flux Text to Image", "Wan 2.2 Text to Image",
                                          "Text to Video - Wan 2.2 Lightning", "Prompt from File")]
CTX = context(models=TINY_MODELS, boards=[{"board_id": "b", "board_name": "B"}])


@cache
def _raw(index: int) -> dict[str, Any]:
    return json.loads(PICKED[index].read_text())


@cache
def _paths(index: int) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []

    def walk(value: Any, path: tuple[Any, ...]) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                out.append((*path, key))
                walk(child, (*path, key))
        elif isinstance(value, list):
            for i, child in enumerate(value):
                out.append((*path, i))
                walk(child, (*path, i))

    walk(_raw(index), ())
    return out


def _exercise(source: Any) -> None:
    try:
        wf = Workflow.load(source)
        _ = [p.name for p in wf.parameters], wf.aliases, wf.output_nodes, wf.name
        for name in ("seed", "width", "positive_prompt", "model"):
            with contextlib.suppress(WorkflowError):
                wf.set({name: "tiny-sdxl" if name == "model" else (3 if name != "positive_prompt" else "x")})
        wf.to_graph()
        wf.to_graph(CTX)
        wf.to_batch(CTX, sweep={"seed": [1, 2]} if wf.aliases.get("seed") else None)
        wf.preflight(CTX)
    except WorkflowError:
        pass


def _parent(raw: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        raw = raw[key]
    return raw


REPLACEMENTS = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.text(max_size=4), st.just([]),
                         st.just({}), st.just([1, "a"]), st.just({"value": None}))


@SETTINGS
@given(data=st.data())
def test_dropping_any_key_gives_only_workflow_errors(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(PICKED) - 1))
    path = data.draw(st.sampled_from(_paths(index)))
    raw = copy.deepcopy(_raw(index))
    parent = _parent(raw, path)
    del parent[path[-1]]
    _exercise(raw)


@SETTINGS
@given(data=st.data())
def test_changing_any_value_type_gives_only_workflow_errors(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(PICKED) - 1))
    path = data.draw(st.sampled_from(_paths(index)))
    raw = copy.deepcopy(_raw(index))
    _parent(raw, path)[path[-1]] = data.draw(REPLACEMENTS)
    _exercise(raw)


@SETTINGS
@given(data=st.data())
def test_dangling_or_rewired_edges_give_only_workflow_errors(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(PICKED) - 1))
    raw = copy.deepcopy(_raw(index))
    node_ids = [n["id"] for n in raw["nodes"]]
    for _ in range(data.draw(st.integers(1, 3))):
        edge = data.draw(st.sampled_from(raw["edges"]))
        key = data.draw(st.sampled_from(["source", "target", "sourceHandle", "targetHandle", "type"]))
        edge[key] = data.draw(st.one_of(st.sampled_from(node_ids), st.text(max_size=6),
                                        st.sampled_from(["default", "collapsed", "value", "in", "out"])))
    _exercise(raw)


@SETTINGS
@given(data=st.data())
def test_truncated_json_gives_only_workflow_errors(data: st.DataObject) -> None:
    index = data.draw(st.integers(0, len(PICKED) - 1))
    text = PICKED[index].read_bytes()
    _exercise(text[: data.draw(st.integers(0, len(text) - 1))])
