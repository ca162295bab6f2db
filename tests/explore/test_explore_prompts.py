"""InvokeAI style presets applied as the UI does, and dynamic prompts turned into sweep values."""

from __future__ import annotations

import pytest

from invokekit.errors import ParameterError, ServerError
from invokekit.explore import apply_style_preset, expand_prompt, find_style_preset, has_dynamic_syntax
from invokekit.explore._dynamic import dynamic_prompts_request, prompts_from_response


def _preset(positive: str, negative: str, name: str = "Style", preset_id: str = "p1") -> dict:
    # the shape of StylePresetRecordWithImage, as GET /api/v1/style_presets/ returns it
    return {"id": preset_id, "name": name, "type": "user", "is_public": False, "user_id": "system", "image": None,
            "preset_data": {"positive_prompt": positive, "negative_prompt": negative}}


def test_the_prompt_replaces_the_first_placeholder() -> None:
    preset = _preset("photo of {prompt}, sharp, {prompt}", "blurry, {prompt}")
    assert apply_style_preset(preset, "a cat", "dogs") == {
        "positive_prompt": "photo of a cat, sharp, {prompt}", "negative_prompt": "blurry, dogs"}


def test_without_a_placeholder_the_preset_is_appended_after_a_space() -> None:
    preset = _preset("cinematic", "ugly")
    assert apply_style_preset(preset, "a cat") == {"positive_prompt": "a cat cinematic", "negative_prompt": " ugly"}


def test_dollar_signs_in_the_prompt_are_kept_literally() -> None:
    # JavaScript's replace would turn $$ into $; a dynamic prompt's {2$$a|b} must survive
    assert apply_style_preset(_preset("art: {prompt}", ""), "{2$$a|b|c}")["positive_prompt"] == "art: {2$$a|b|c}"


def test_finding_a_style_preset_by_id_or_name() -> None:
    presets = [_preset("a", "", "Photo", "id1"), _preset("b", "", "Anime", "id2"), _preset("c", "", "anime", "id3")]
    assert find_style_preset(presets, "id2")["name"] == "Anime"
    assert find_style_preset(presets, "Photo")["id"] == "id1"
    assert find_style_preset(presets, "photo")["id"] == "id1"  # case-insensitive when unambiguous
    assert find_style_preset(presets, "anime")["id"] == "id3"  # an exact name wins
    with pytest.raises(ParameterError, match=r"no style preset 'Phot'.*did you mean 'Photo'"):
        find_style_preset(presets, "Phot")
    with pytest.raises(ParameterError, match="no preset_data"):
        apply_style_preset({"id": "x", "name": "broken"}, "a cat")
    with pytest.raises(ParameterError, match=r"preset_data\.negative_prompt must be text"):
        apply_style_preset({"name": "n", "preset_data": {"positive_prompt": "", "negative_prompt": None}}, "a")


@pytest.mark.parametrize(
    ("prompt", "dynamic"),
    [("a {red|blue} cat", True), ("{2$$a|b|c}", True), ("a {cat}", True), ("multi\n{line|text}", True),
     ("a cat", False), ("a } then {", False), ("a {unclosed", False), ("__wildcard__", False)],
)
def test_dynamic_syntax_is_detected_as_the_ui_does(prompt: str, dynamic: bool) -> None:
    assert has_dynamic_syntax(prompt) is dynamic


def test_requests_are_checked_before_sending() -> None:
    assert dynamic_prompts_request("a {b|c}") == {"prompt": "a {b|c}", "max_prompts": 1000, "combinatorial": True}
    assert dynamic_prompts_request("x", combinatorial=False, seed=5, max_prompts=3) == {
        "prompt": "x", "max_prompts": 3, "combinatorial": False, "seed": 5}
    for kwargs, message in [({"max_prompts": 0}, "max_prompts"), ({"max_prompts": 10_001}, "max_prompts"),
                            ({"combinatorial": False}, "needs a seed"), ({"combinatorial": False, "seed": -1}, "seed")]:
        with pytest.raises(ParameterError, match=message) as info:
            dynamic_prompts_request("a {b|c}", field="prompt", **kwargs)
        assert info.value.field == "prompt"
    with pytest.raises(ParameterError, match="lone surrogate"):
        dynamic_prompts_request("a {b|\udcff}")


def test_answers_become_sweep_values() -> None:
    answer = {"prompts": ["a red cat", "a blue cat", "a red cat", "a green cat"], "error": None}
    assert prompts_from_response(answer, max_prompts=10) == ["a red cat", "a blue cat", "a green cat"]
    assert prompts_from_response(answer, max_prompts=2) == ["a red cat", "a blue cat"]
    with pytest.raises(ParameterError, match=r"could not expand.*Expected") as info:
        prompts_from_response({"prompts": ["x"], "error": "Expected '}'"}, max_prompts=5, field="positive_prompt")
    assert info.value.field == "positive_prompt"
    with pytest.raises(ServerError, match="without a list of prompts"):
        prompts_from_response({"detail": "nope"}, max_prompts=5)


def test_a_plain_prompt_needs_no_request() -> None:
    def refuse(body: dict) -> dict:
        raise AssertionError(f"no request expected, got {body}")

    assert expand_prompt("a cat", refuse).prompts == ["a cat"]


def test_random_mode_always_records_its_seed() -> None:
    bodies: list[dict] = []

    def post(body: dict) -> dict:
        bodies.append(body)
        return {"prompts": ["a red cat"], "error": None}

    expansion = expand_prompt("a {red|blue} cat", post, combinatorial=False)
    assert expansion.seed is not None and bodies[0]["seed"] == expansion.seed and not expansion.combinatorial
    assert expand_prompt("a {red|blue} cat", post).seed is None
