"""Finding the model or the board a user names in the server's lists: the one place that knows how.

People write ``model="tiny-sdxl"`` and ``board="Cats"``; the server wants a model identifier and
a board id. A model matches by key first, else by name, among the models of the types and bases
a field takes; a board by id, else by name. No match, or more than one, is a
:class:`ParameterError` that lists what the server has. These functions read lists the caller
already holds (``GET /api/v2/models/``, ``GET /api/v1/boards/``); they send nothing themselves.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from invokekit.errors import ParameterError

#: the fields of a model record that make up the identifier a node's model input holds
IDENTIFIER_KEYS = ("key", "hash", "name", "base", "type")


def fitting_models(models: Iterable[Mapping[str, Any]], types: Collection[str] | None = None,
                   bases: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The model records of one of ``types`` and one of ``bases`` (``None``: any)."""
    return [dict(m) for m in models if isinstance(m, Mapping) and (not types or m.get("type") in types)
            and (not bases or m.get("base") in bases)]


def matching_models(models: Iterable[Mapping[str, Any]], value: str, types: Collection[str] | None = None,
                    bases: Collection[str] | None = None) -> list[dict[str, Any]]:
    """The fitting records whose key is ``value``, else those whose name is ``value``."""
    fitting = fitting_models(models, types, bases)
    return [m for m in fitting if m.get("key") == value] or [m for m in fitting if m.get("name") == value]


def _closest_first(value: str, records: list[Mapping[str, Any]], name_key: str) -> tuple[str, list[Mapping[str, Any]]]:
    """"; did you mean 'x'?" for the names most like ``value`` (a typo's fix first), and the
    records ordered by how alike their names are (the error shows the first few)."""
    names = [str(r.get(name_key)) for r in records]
    close = difflib.get_close_matches(value, names, n=3, cutoff=0.6)
    hint = "; did you mean " + " or ".join(repr(c) for c in close) + "?" if close else ""

    def likeness(record: Mapping[str, Any]) -> float:
        return -difflib.SequenceMatcher(None, value.casefold(), str(record.get(name_key)).casefold()).ratio()

    return hint, sorted(records, key=likeness)


def describe_model(model: Mapping[str, Any]) -> str:
    return f"{model.get('name')} ({model.get('base')}/{model.get('type')}, key {model.get('key')})"


def find_model(models: Iterable[Mapping[str, Any]], value: str, *, types: Collection[str] | None = None,
               bases: Collection[str] | None = None, where: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one model record ``value`` (a key or a name) names; ``where`` names the field for errors."""
    models = [m for m in models if isinstance(m, Mapping)]
    matches = matching_models(models, value, types, bases)
    if len(matches) == 1:
        return matches[0]
    where = dict(where or {})
    accepts = f" (this field takes type {list(types) if types else 'any'}, base {list(bases) if bases else 'any'})"
    if matches:
        raise ParameterError(f"model name {value!r} is ambiguous{accepts}; use its key",
                             candidates=[describe_model(m) for m in matches], **where)
    fitting = fitting_models(models, types, bases)
    none_fit = "" if fitting else "; the server has no fitting model (the candidates are all it has)"
    hint, shown = _closest_first(value, fitting or models, "name")
    raise ParameterError(f"no model {value!r} on the server{accepts}{none_fit}{hint}",
                         candidates=[describe_model(m) for m in shown] or ["(no models installed)"], **where)


def model_identifier(model: Mapping[str, Any]) -> dict[str, Any]:
    """What a node's model input holds for ``model`` (a record of the server's model list)."""
    return {k: model.get(k) for k in IDENTIFIER_KEYS}


def find_board(boards: Iterable[Mapping[str, Any]], value: str, *,
               where: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The one board record ``value`` (an id or a name) names."""
    boards = [b for b in boards if isinstance(b, Mapping)]
    matches = [b for b in boards if b.get("board_id") == value] or [b for b in boards if b.get("board_name") == value]
    if len(matches) == 1:
        return dict(matches[0])
    problem = "is ambiguous" if matches else "does not exist on the server"
    hint, shown = _closest_first(value, matches or boards, "board_name")
    raise ParameterError(f"board {value!r} {problem}{'' if matches else hint}",
                         candidates=[f"{b.get('board_name')} ({b.get('board_id')})" for b in shown],
                         **dict(where or {}))


__all__ = ["IDENTIFIER_KEYS", "describe_model", "find_board", "find_model", "fitting_models", "matching_models",
           "model_identifier"]
