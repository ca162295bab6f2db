"""Prompt expansion of a submission: InvokeAI style presets and dynamic prompts.

A style preset from the server (``client.style_presets``) wraps the prompts as the UI does (its
``{prompt}`` template), before anything else looks at them.

``{red|blue} cat`` in a prompt (set by the user, or already in the workflow's ``positive_prompt``)
is sent to the server's dynamic-prompts endpoint (``client.utilities.dynamicprompts``, the same
library the UI uses) and its prompts become the values of a sweep of that name, so the variants
go to the server as one batch and each result's ``values`` holds the prompt that made it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from invokekit.errors import ParameterError
from invokekit.explore import DynamicPrompts, apply_style_preset, expand_prompt, find_style_preset, has_dynamic_syntax
from invokekit.workflow import Batch, Workflow
from invokekit.workflow._build import sweep_kind

if TYPE_CHECKING:
    from invokekit.client._client import Client

#: the prompt the UI expands (and that is looked at even when nobody set it)
PROMPT = "positive_prompt"


def _knows(source: Workflow | Batch, name: str) -> bool:
    try:
        source.places(name) if isinstance(source, Workflow) else source._place(name)
    except ParameterError:
        return False
    return True


def with_style_preset(client: Client, source: Workflow | Batch, name_or_id: str) -> Workflow | Batch:
    """A copy of ``source`` whose prompts are wrapped by the server's style preset ``name_or_id``."""
    preset = find_style_preset(client.style_presets.list(), name_or_id)
    if not _knows(source, PROMPT):
        raise ParameterError(f"style preset {name_or_id!r}: this workflow has no {PROMPT} to apply it to",
                             field=PROMPT)
    negative = sweep_kind(source, "negative_prompt", None)[1] if _knows(source, "negative_prompt") else None
    prompts = apply_style_preset(preset, str(sweep_kind(source, PROMPT, None)[1] or ""),
                                 negative if isinstance(negative, str) else None)
    changed = source.copy()
    changed.set({k: v for k, v in prompts.items() if _knows(source, k)})
    return changed


def dynamic_axes(client: Client, source: Workflow | Batch, names: Iterable[str], options: DynamicPrompts,
                 swept: Mapping[str, Any]) -> dict[str, list[str]]:
    """``{name: prompts}`` for every text parameter among ``names`` (and ``positive_prompt``) whose
    value holds dynamic syntax; a name that is swept already is refused."""
    def post(body: Mapping[str, Any]) -> Mapping[str, object]:
        return client.utilities.dynamicprompts(str(body["prompt"]), max_prompts=int(body["max_prompts"]),
                                               combinatorial=bool(body["combinatorial"]),
                                               seed=int(body["seed"]) if "seed" in body else None)

    axes: dict[str, list[str]] = {}
    candidates = list(dict.fromkeys([*names, *([PROMPT] if _knows(source, PROMPT) else [])]))
    for name in candidates:
        _kind, current = sweep_kind(source, name, None)
        if not isinstance(current, str) or not has_dynamic_syntax(current):
            continue
        if name in swept:
            raise ParameterError(f"{name!r} holds a dynamic prompt and is swept as well; do one or the other",
                                 field=name)
        expansion = expand_prompt(current, post, max_prompts=options.max_prompts,
                                  combinatorial=not options.random, seed=options.seed, field=name)
        axes[name] = expansion.prompts
    return axes


__all__ = ["PROMPT", "dynamic_axes", "with_style_preset"]
