"""InvokeAI's style presets applied to prompts exactly as its UI applies them.

A style preset (``client.style_presets.list()``: ``{"id", "name", "preset_data":
{"positive_prompt", "negative_prompt"}, ...}``) wraps the user's prompt: the UI's
``buildPresetModifiedPrompt`` puts the user's prompt in place of the first ``{prompt}`` in the
preset's prompt, or, when the preset has none, appends the preset's prompt after a space. The
same rule applies to the negative prompt (an empty negative prompt too), and the result is what
the UI sends and what its dynamic-prompts preview expands.

One deliberate difference: JavaScript's ``String.replace`` reads ``$$``, ``$&``, ``$``` and ``$'``
in the replacement as patterns, so the UI turns a user's ``{2$$a|b}`` into ``{2$a|b}``; here the
user's prompt is inserted literally.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from invokekit.errors import ParameterError

PLACEHOLDER = "{prompt}"


def build_preset_prompt(preset_prompt: str, prompt: str) -> str:
    """The UI's ``buildPresetModifiedPrompt``: ``prompt`` inside ``preset_prompt``."""
    if PLACEHOLDER in preset_prompt:
        return preset_prompt.replace(PLACEHOLDER, prompt, 1)
    return f"{prompt} {preset_prompt}"


def _preset_data(preset: Mapping[str, object]) -> tuple[str, str]:
    data = preset.get("preset_data")
    label = preset.get("name") or preset.get("id") or "?"
    if not isinstance(data, Mapping):
        raise ParameterError(f"style preset {label!r} has no preset_data (is it a style preset record?)")
    prompts = data.get("positive_prompt"), data.get("negative_prompt")
    for key, value in zip(("positive_prompt", "negative_prompt"), prompts, strict=True):
        if not isinstance(value, str):
            raise ParameterError(f"style preset {label!r}: preset_data.{key} must be text, got {value!r}", field=key)
    return str(prompts[0]), str(prompts[1])


def apply_style_preset(preset: Mapping[str, object], positive_prompt: str,
                       negative_prompt: str | None = None) -> dict[str, str]:
    """The prompts the UI would send with ``preset`` active: ``{"positive_prompt", "negative_prompt"}``.

    ``preset`` is a record as the server returns it; ``negative_prompt`` None counts as empty,
    as in the UI.
    """
    positive, negative = _preset_data(preset)
    return {
        "positive_prompt": build_preset_prompt(positive, positive_prompt),
        "negative_prompt": build_preset_prompt(negative, negative_prompt or ""),
    }


def find_style_preset(presets: Sequence[Mapping[str, object]], name_or_id: str) -> Mapping[str, object]:
    """The preset whose id, or else whose name (case-insensitive when unambiguous), is ``name_or_id``."""
    for preset in presets:
        if preset.get("id") == name_or_id:
            return preset
    exact = [p for p in presets if p.get("name") == name_or_id]
    folded = [p for p in presets if str(p.get("name", "")).casefold() == name_or_id.casefold()]
    matches = exact or folded
    names = [str(p.get("name")) for p in presets]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise ParameterError(f"{len(matches)} style presets are named {name_or_id!r}; use its id",
                             candidates=[str(p.get("id")) for p in matches])
    raise ParameterError(f"no style preset {name_or_id!r} on the server", candidates=names, name=name_or_id)


__all__ = ["PLACEHOLDER", "apply_style_preset", "build_preset_prompt", "find_style_preset"]
