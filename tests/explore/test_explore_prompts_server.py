"""Style presets and dynamic prompts against the real server's endpoints."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from invokekit.api import StylePresets, Transport, Utilities
from invokekit.errors import ParameterError
from invokekit.explore import apply_style_preset, expand_prompt, find_style_preset


@pytest.fixture
def transport(invokeai_sandbox) -> Iterator[Transport]:
    transport = Transport(invokeai_sandbox.url)
    yield transport
    transport.close()


def _post(transport: Transport):
    return lambda body: Utilities(transport).dynamicprompts(**body)


@pytest.mark.server
def test_combinatorial_expansion(transport: Transport) -> None:
    expansion = expand_prompt("a {red|blue|green} cat", _post(transport))
    assert expansion.prompts == ["a red cat", "a blue cat", "a green cat"] and expansion.combinatorial
    assert expand_prompt("a {red|blue|green} cat", _post(transport), max_prompts=2).prompts == ["a red cat",
                                                                                                "a blue cat"]
    pairs = expand_prompt("{2$$a|b|c}", _post(transport)).prompts
    assert len(pairs) == 6 and all(len(p.split(",")) == 2 for p in pairs)


@pytest.mark.server
def test_random_expansion_is_repeatable_with_a_seed(transport: Transport) -> None:
    prompt = "a {red|blue|green|yellow|pink|black|white} {cat|dog|fox|owl}"
    first = expand_prompt(prompt, _post(transport), combinatorial=False, seed=42, max_prompts=6)
    second = expand_prompt(prompt, _post(transport), combinatorial=False, seed=42, max_prompts=6)
    other = expand_prompt(prompt, _post(transport), combinatorial=False, seed=43, max_prompts=6)
    assert first.prompts == second.prompts and first.seed == 42
    assert first.prompts != other.prompts
    assert 1 <= len(first.prompts) <= 6 and len(set(first.prompts)) == len(first.prompts)
    assert all(p.startswith("a ") and "{" not in p for p in first.prompts)


@pytest.mark.server
def test_the_servers_parse_error_names_the_field(transport: Transport) -> None:
    with pytest.raises(ParameterError, match="could not expand") as info:
        expand_prompt("a {red|blue} {cat", _post(transport), field="positive_prompt")
    assert info.value.field == "positive_prompt"


@pytest.mark.server
def test_style_presets_as_the_server_lists_them(transport: Transport) -> None:
    presets = StylePresets(transport).list()
    with_placeholder = [p for p in presets if "{prompt}" in p["preset_data"]["positive_prompt"]]
    assert with_placeholder, "InvokeAI ships default style presets that use {prompt}"
    preset = find_style_preset(presets, with_placeholder[0]["name"])
    applied = apply_style_preset(preset, "a small red cat", "dogs")
    template = preset["preset_data"]["positive_prompt"]
    before, _, after = template.partition("{prompt}")
    assert applied["positive_prompt"] == before + "a small red cat" + after
    assert "dogs" in applied["negative_prompt"]
