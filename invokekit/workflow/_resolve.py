"""Turning friendly values into what a node needs: model names into identifiers, board names into ids.

InvokeAI's UI lets the user pick a model from a list and stores the full identifier
(``key``, ``hash``, ``name``, ``base``, ``type``); in code people write ``model="tiny-sdxl"``.
The server's model list (``client.models.list()``) maps one to the other, narrowed by what the
field accepts (``ui_model_base``/``ui_model_type`` in the schema). Boards work the same way. The
matching itself is :mod:`invokekit.api._lookup`'s (one place); this module says what a
conversion needs from it.
"""

from __future__ import annotations

from typing import Any

from invokekit.api._lookup import find_model, model_identifier
from invokekit.errors import ParameterError
from invokekit.workflow._context import ServerContext


def is_model_field(field: str, prop: dict[str, Any] | None) -> bool:
    """A field that takes a model identifier (by the schema when known, else by its name)."""
    if prop is not None:
        return "ui_model_type" in prop or "ModelIdentifierField" in str(prop.get("anyOf", prop.get("$ref", "")))
    return field == "model" or field.endswith("_model")


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
    return model_identifier(find_model(context.models, value, types=types, bases=bases, where=where))


def resolve_board(value: Any, *, context: ServerContext | None, where: dict[str, Any]) -> dict[str, str] | None:
    """A board name or id as ``{"board_id": ...}``; ``None``/"none" mean no board."""
    if value is None or value == "none":
        return None
    if isinstance(value, dict):
        return dict(value)
    if not isinstance(value, str):
        raise ParameterError(f"a board is a name, an id or {{'board_id': ...}}, not {type(value).__name__}", **where)
    return {"board_id": (context or ServerContext()).board_id(value, where=where)}
