"""Combining sweep axes: products and zips as InvokeAI's batch data, expensive axes outermost."""

from __future__ import annotations

import itertools

import pytest

from invokekit.errors import ParameterError
from invokekit.explore import order_axes, plan_sweeps
from invokekit.explore._plan import is_expensive


def test_sweeps_multiply_and_zips_pair() -> None:
    plan = plan_sweeps({"seed": [1, 2]}, {"positive_prompt": ["a cat", "a dog", "a fox"], "cfg_scale": [3, 5, 7]})
    assert plan.count == 6
    assert plan.names == ["seed", "positive_prompt", "cfg_scale"]
    assert plan.items() == [
        {"seed": s, "positive_prompt": p, "cfg_scale": c}
        for s, (p, c) in itertools.product([1, 2], [("a cat", 3), ("a dog", 5), ("a fox", 7)])
    ]
    assert plan.first_values() == {"seed": 1, "positive_prompt": "a cat", "cfg_scale": 3}


def test_batch_data_has_one_inner_list_per_group() -> None:
    plan = plan_sweeps({"seed": [1, 2]}, {"positive_prompt": ["a", "b"], "steps": [3, 4]})
    places = {"seed": [("noise", "seed")], "positive_prompt": [("pos", "value"), ("pos2", "value")],
              "steps": [("den", "steps")]}
    assert plan.batch_data(lambda name: places[name]) == [
        [{"node_path": "noise", "field_name": "seed", "items": [1, 2]}],
        [{"node_path": "pos", "field_name": "value", "items": ["a", "b"]},
         {"node_path": "pos2", "field_name": "value", "items": ["a", "b"]},
         {"node_path": "den", "field_name": "steps", "items": [3, 4]}],
    ]


def test_several_zip_groups_multiply_with_each_other() -> None:
    plan = plan_sweeps(zipped=[{"a": [1, 2], "b": [3, 4]}, {"c": ["x", "y", "z"]}])
    assert plan.count == 6 and len(plan.groups) == 2


def test_zipped_lengths_must_match() -> None:
    with pytest.raises(ParameterError, match="equally many values, got positive_prompt: 3, seed: 2") as info:
        plan_sweeps(zipped={"positive_prompt": ["a", "b", "c"], "seed": [1, 2]})
    assert info.value.candidates == ["positive_prompt", "seed"]


@pytest.mark.parametrize(
    ("sweep", "zipped", "message"),
    [
        ({"seed": []}, None, "non-empty list"),
        ({"seed": "123"}, None, "non-empty list"),
        ({"seed": [1]}, {"seed": [2], "cfg": [3]}, "'seed' is swept twice"),
        ({"a": list(range(200)), "b": list(range(100))}, None, "20000; at most 10000"),
    ],
)
def test_bad_plans_are_refused(sweep, zipped, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        plan_sweeps(sweep, zipped)


def test_runs_count_against_the_limit() -> None:
    assert plan_sweeps({"seed": [1, 2]}, runs=3).count == 2
    with pytest.raises(ParameterError, match="2 items x 3 run"):
        plan_sweeps({"seed": [1, 2]}, runs=3, limit=5)
    with pytest.raises(ParameterError, match="runs must be"):
        plan_sweeps({"seed": [1]}, runs=0)


def test_expensive_axes_go_outermost() -> None:
    assert [is_expensive(n) for n in ["model", "vae", "l2i.vae", "main_model_loader.model", "unet_model",
                                      "seed", "cfg_scale", "scheduler", "positive_prompt", "model_name"]] == [
        True, True, True, True, True, False, False, False, False, False]
    assert order_axes(["seed", "model", "cfg_scale", "vae"]) == ["model", "vae", "seed", "cfg_scale"]
    plan = plan_sweeps({"seed": [1, 2], "model": ["a", "b"], "cfg_scale": [3]})
    assert plan.names == ["model", "seed", "cfg_scale"]
    assert [item["model"] for item in plan.items()] == ["a", "a", "b", "b"]  # each model once, in a row
