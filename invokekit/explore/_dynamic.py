"""Dynamic prompts (``{red|blue} cat``, ``{2$$a|b|c}``) expanded by the server into sweep values.

The server's dynamic-prompts endpoint (``client.utilities.dynamicprompts``) runs the dynamicprompts library (both the
combinatorial and the seeded random generator), so nothing is re-implemented here: this module
decides when to ask (the UI's own test: a ``{`` followed later by a ``}``), builds the request,
and turns the answer into the values of one sweep axis: duplicates dropped in order (two equal
prompts would make the same image twice, or be served from cache), at most ``max_prompts``, the
server's parse error raised as a :class:`ParameterError` naming the field.

The HTTP call is a parameter (``post``: request body -> response body), so the pure part is used
and tested as is, and the API namespace method is wired in by the caller. Random mode always runs
with a seed: when none is given one is drawn here and returned, so every expansion can be redone.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from invokekit.errors import ParameterError, ServerError
from invokekit.explore._values import has_lone_surrogate

MAX_PROMPTS = 10_000  # the endpoint's own bound
_DYNAMIC = re.compile(r"\{[\s\S]*\}")
SEED_MAX = 2**32 - 1

DynamicPromptsBody = dict[str, str | int | bool]
PostFunction = Callable[[DynamicPromptsBody], Mapping[str, object]]


def has_dynamic_syntax(prompt: str) -> bool:
    """True when the UI would send ``prompt`` for expansion: it holds ``{`` and a later ``}``."""
    return _DYNAMIC.search(prompt) is not None


@dataclass(frozen=True)
class Expansion:
    """The prompts a dynamic prompt expands to, and how (so it can be redone)."""

    prompts: list[str]
    combinatorial: bool
    seed: int | None  # the random generator's seed; None in combinatorial mode
    max_prompts: int


@dataclass(frozen=True)
class DynamicPrompts:
    """How a submission expands dynamic prompts: ``random`` picks ``max_prompts`` prompts with the
    generator seeded by ``seed`` (drawn when None), else every combination (up to ``max_prompts``)."""

    random: bool = False
    seed: int | None = None
    max_prompts: int = 1000


def dynamic_prompts_request(prompt: str, *, max_prompts: int = 1000, combinatorial: bool = True,
                            seed: int | None = None, field: str = "positive_prompt") -> DynamicPromptsBody:
    """The request body of the dynamic-prompts endpoint, checked."""
    if not isinstance(prompt, str):
        raise ParameterError(f"a dynamic prompt is text, got {prompt!r}", field=field)
    if has_lone_surrogate(prompt):
        raise ParameterError("the prompt holds undecodable characters (a lone surrogate)", field=field)
    if isinstance(max_prompts, bool) or not isinstance(max_prompts, int) or not 1 <= max_prompts <= MAX_PROMPTS:
        raise ParameterError(f"max_prompts must be a whole number from 1 to {MAX_PROMPTS}, got {max_prompts!r}",
                             field=field)
    body: DynamicPromptsBody = {"prompt": prompt, "max_prompts": max_prompts, "combinatorial": bool(combinatorial)}
    if not combinatorial:
        if seed is None or isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_MAX:
            raise ParameterError(f"the random generator needs a seed from 0 to {SEED_MAX}, got {seed!r}", field=field)
        body["seed"] = seed
    return body


def prompts_from_response(response: Mapping[str, object], *, max_prompts: int,
                          field: str = "positive_prompt") -> list[str]:
    """The server's expanded prompts as sweep values: deduplicated in order, at most ``max_prompts``."""
    error = response.get("error")
    if error:
        raise ParameterError(f"the server could not expand the dynamic prompt: {error}", field=field)
    prompts = response.get("prompts")
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        raise ServerError(f"the dynamic-prompts endpoint answered without a list of prompts: {response!r}")
    unique = list(dict.fromkeys(prompts))[:max_prompts]
    if not unique:
        raise ParameterError("the dynamic prompt expanded to no prompts", field=field)
    return unique


def expand_prompt(prompt: str, post: PostFunction, *, max_prompts: int = 1000, combinatorial: bool = True,
                  seed: int | None = None, field: str = "positive_prompt") -> Expansion:
    """``prompt`` expanded through ``post`` (which sends the body to the endpoint and returns its JSON).

    A prompt without dynamic syntax is returned as it is, without a request, as the UI does.
    In random mode (``combinatorial=False``) a missing ``seed`` is drawn and reported in the result.
    """
    if not combinatorial and seed is None:
        seed = random.SystemRandom().randint(0, SEED_MAX)
    body = dynamic_prompts_request(prompt, max_prompts=max_prompts, combinatorial=combinatorial, seed=seed,
                                   field=field)
    used_seed = None if combinatorial else seed
    if not has_dynamic_syntax(prompt):
        return Expansion([prompt], bool(combinatorial), used_seed, max_prompts)
    prompts = prompts_from_response(post(body), max_prompts=max_prompts, field=field)
    return Expansion(prompts, bool(combinatorial), used_seed, max_prompts)


__all__ = ["DynamicPrompts", "Expansion", "dynamic_prompts_request", "expand_prompt", "has_dynamic_syntax",
           "prompts_from_response"]
