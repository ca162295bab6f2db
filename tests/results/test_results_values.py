"""Naming each item's values: the server's field_values mapped back to the names the user swept."""

from __future__ import annotations

from invokekit.results._values import item_values, models_of, set_values, shown_value

MODEL = {"key": "k1", "hash": "blake3:abc", "name": "tiny-sdxl", "base": "sdxl", "type": "main"}


def test_swept_values_are_named_by_the_names_that_were_swept_and_set_values_are_kept() -> None:
    places = {"seed": [("noise", "seed")], "positive_prompt": [("p1", "value"), ("p2", "value")]}
    fixed = {"model": MODEL, "steps": 4}
    field_values = [{"node_path": "noise", "field_name": "seed", "value": 7},
                    {"node_path": "p1", "field_name": "value", "value": "a cat"},
                    {"node_path": "p2", "field_name": "value", "value": "a cat"},
                    {"node_path": "batch", "field_name": "items", "value": 3}]
    assert item_values(field_values, places, fixed) == {
        "model": "tiny-sdxl", "steps": 4, "seed": 7, "positive_prompt": "a cat", "batch.items": 3}
    assert item_values(None, places, fixed) == {"model": "tiny-sdxl", "steps": 4}


def test_set_values_read_the_graph_at_the_first_place_and_skip_swept_names() -> None:
    graph = {"nodes": {"noise": {"seed": 1}, "loader": {"model": MODEL}, "p2": {"value": "x"}}}
    places = {"seed": [("noise", "seed")], "model": [("loader", "model")],
              "positive_prompt": [("p1", "value"), ("p2", "value")]}
    assert set_values(graph, places, skip=["seed"]) == {"model": MODEL, "positive_prompt": "x"}
    assert models_of({"model": MODEL, "seed": 1}) == [MODEL]
    assert shown_value({"image_name": "a.png"}) == {"image_name": "a.png"}
