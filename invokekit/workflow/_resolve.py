"""Turning friendly values into what a node needs: model names into identifiers, board names into ids.

InvokeAI's UI lets the user pick a model from a list and stores the full identifier
(``key``, ``hash``, ``name``, ``base``, ``type``); in code people write ``model="tiny-sdxl"``.
The server's model list (``client.models.list()``) maps one to the other, narrowed by what the
field accepts (``ui_model_base``/``ui_model_type`` in the schema). Boards work the same way.
"""

from __future__ import annotations

from typing import Any

from invokekit.errors import ParameterError
from invokekit.workflow._context import ServerContext

IDENTIFIER_KEYS = ("key", "hash", "name", "base", "type")


def is_model_field(field: str, prop: dict[str, Any] | None) -> bool:
    """A field that takes a model identifier (by the schema when known, else by its name)."""
    if prop is not None:
        return "ui_model_type" in prop or "ModelIdentifierField" in str(prop.get("anyOf", prop.get("$ref", "")))
    return field == "model" or field.endswith("_model")


def _describe(model: dict[str, Any]) -> str:
    return f"{model.get('name')} ({model.get('base')}/{model.get('type')}, key {model.get('key')})"


def resolve_model(
    value: Any,
    *,
    context: ServerContext | None,
    prop: dict[str, Any] | None,
    wanted_type: str | None,
    where: dict[str, Any],
) -> Any:
    """The identifier for ``value`` (a name or key); dicts and ``None`` pass through unchanged."""
    if not isinstance(value, str):
        return value
    if context is None or context.models is None:
        raise ParameterError(
            f"model {value!r} is given by name; resolving it needs the server's model list "
            "(pass context=client.context(), use --url, or give the full identifier dict)",
            **where,
        )
    types = (prop or {}).get("ui_model_type") or ([wanted_type] if wanted_type else None)
    bases = (prop or {}).get("ui_model_base")
    fitting = [
        m for m in context.models
        if isinstance(m, dict) and (not types or m.get("type") in types) and (not bases or m.get("base") in bases)
    ]
    matches = [m for m in fitting if m.get("key") == value] or [m for m in fitting if m.get("name") == value]
    if len(matches) == 1:
        return {k: matches[0].get(k) for k in IDENTIFIER_KEYS}
    accepts = f" (this field takes type {types or 'any'}, base {bases or 'any'})"
    if matches:
        raise ParameterError(f"model name {value!r} is ambiguous{accepts}; use its key",
                             candidates=[_describe(m) for m in matches], **where)
    shown = fitting or [m for m in context.models if isinstance(m, dict)]
    label = "fitting models on the server" if fitting else "the server has no fitting model; it has"
    raise ParameterError(f"no model {value!r} on the server{accepts}; {label}",
                         candidates=[_describe(m) for m in shown] or ["(no models installed)"], **where)


def resolve_board(value: Any, *, context: ServerContext | None, where: dict[str, Any]) -> dict[str, str] | None:
    """A board name or id as ``{"board_id": ...}``; ``None``/"none" mean no board."""
    if value is None or value == "none":
        return None
    if isinstance(value, dict):
        return dict(value)
    if not isinstance(value, str):
        raise ParameterError(f"a board is a name, an id or {{'board_id': ...}}, not {type(value).__name__}", **where)
    if context is None or context.boards is None:
        raise ParameterError(
            f"board {value!r} is given by name; resolving it needs the server's board list "
            "(pass context=client.context(), or give {'board_id': ...})",
            **where,
        )
    boards = [b for b in context.boards if isinstance(b, dict)]
    matches = [b for b in boards if b.get("board_id") == value] or [b for b in boards if b.get("board_name") == value]
    if len(matches) != 1:
        problem = "is ambiguous" if matches else "does not exist on the server"
        raise ParameterError(f"board {value!r} {problem}",
                             candidates=[f"{b.get('board_name')} ({b.get('board_id')})" for b in boards], **where)
    return {"board_id": str(matches[0]["board_id"])}
