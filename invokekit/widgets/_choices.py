"""Choices the panel offers that come from the server: models by type, scheduler names.

The panel must never offer a value the server would refuse, so dropdowns are filled from what the
running server reports (its model records and its OpenAPI schema), not from a list baked in here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from invokekit.api._lookup import fitting_models

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


def model_options(
    models: Iterable[Mapping[str, Any]], model_type: str | Sequence[str], base: str | Sequence[str] | None = None
) -> list[str]:
    """Names of the installed models of ``model_type`` (``main``, ``vae``... or a list), optionally of given bases.

    Sorted, without duplicates, so the dropdown is stable from run to run.
    """
    types = [model_type] if isinstance(model_type, str) else list(model_type)
    bases = None if base is None else ([base] if isinstance(base, str) else list(base))
    return sorted({str(m["name"]) for m in fitting_models(models, types, bases) if "name" in m})


def model_field_accepts(
    workflow: Any, context: Any, alias: str, default_type: str
) -> tuple[list[str], list[str] | None]:
    """The model types and bases the workflow's ``alias`` field takes (``ui_model_type``/``ui_model_base``).

    A FLUX workflow's model field takes FLUX models only; offering SDXL models there would only
    produce an error on Generate. Without a schema (or a field the schema does not describe) any
    base of ``default_type`` is offered.
    """
    types: set[str] = set()
    bases: set[str] = set()
    unknown_base = False
    for param in getattr(workflow, "parameters", []) or []:
        if alias not in (getattr(param, "aliases", ()) or ()):
            continue
        prop = None
        if context is not None and hasattr(context, "input_schema"):
            prop = context.input_schema(param.node_type, param.field)
        prop = prop or {}
        types.update(prop.get("ui_model_type") or [])
        if prop.get("ui_model_base"):
            bases.update(prop["ui_model_base"])
        else:
            unknown_base = True
    return sorted(types) or [default_type], (None if unknown_base or not bases else sorted(bases))
