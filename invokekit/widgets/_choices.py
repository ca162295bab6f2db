"""Choices the panel offers that come from the server: models by type, scheduler names.

The panel must never offer a value the server would refuse, so dropdowns are filled from what the
running server reports (its model records and its OpenAPI schema), not from a list baked in here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: the invocation whose ``scheduler`` enum is InvokeAI's list of schedulers
_SCHEDULER_SCHEMA = "DenoiseLatentsInvocation"


def scheduler_names(schema: Mapping[str, Any] | None) -> list[str]:
    """The scheduler names the server accepts, read from its OpenAPI schema.

    Prefers ``DenoiseLatentsInvocation.scheduler``; falls back to the first invocation that has a
    ``scheduler`` enum. Returns ``[]`` when the schema says nothing (the caller then keeps the
    workflow's own value as the only choice).
    """
    if not schema:
        return []
    components = schema.get("components", {}).get("schemas", {})
    candidates = [components.get(_SCHEDULER_SCHEMA, {}), *components.values()]
    for component in candidates:
        prop = (component or {}).get("properties", {}).get("scheduler", {})
        enum = prop.get("enum")
        if enum:
            return [str(v) for v in enum]
    return []


def model_options(models: Iterable[Mapping[str, Any]], model_type: str, base: str | None = None) -> list[str]:
    """Names of the installed models of ``model_type`` (``main``, ``vae``...), optionally of one base.

    Sorted, without duplicates, so the dropdown is stable from run to run.
    """
    names = {
        str(m["name"])
        for m in models
        if m.get("type") == model_type and "name" in m and (base is None or m.get("base") == base)
    }
    return sorted(names)
