"""From the text a user types after ``--sweep NAME=`` to the list of values of that axis.

One parser for the CLI, the panel and notebooks, so a sweep written anywhere means the same:

- ``1,2,3`` -- comma-separated values, quoted as CSV when a value holds a comma: ``"a, b",c``
  (the whitespace around each value is dropped, as AUTOMATIC1111 does);
- ``1-10``, ``1-10 (+2)``, ``1-2 (+0.25)``, ``1-10 [5]``, also mixed: ``1-3,7,10-20 (+5)``
  (see :mod:`invokekit.explore._ranges` for the exact rules, negative numbers included);
- ``["a, b", "c"]`` -- a JSON list, for any JSON values;
- ``@prompts.txt`` -- one value per line; ``@table.csv:column`` -- one column of a CSV file;
- ``S/R:cat,dog,fox`` -- AUTOMATIC1111's Prompt S/R: the first term is searched in the current
  value of the field and replaced by each term in turn (the first value is the prompt unchanged).

``kind`` says what the field takes, when the caller knows it: ``"number"`` or ``"integer"``
(every value must be a number or a range), ``"text"`` (every value stays text, ranges too). With
no kind, a list is numeric when every value in it is a number or a range, and text otherwise,
so ``seed=1,2,3`` gives ints and ``positive_prompt=a cat,a dog`` gives strings.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from invokekit.errors import ParameterError
from invokekit.explore._ranges import Number, looks_like_range, parse_number, parse_range
from invokekit.explore._sources import read_source
from invokekit.explore._values import MAX_VALUES, Value, check_texts

Kind = Literal["number", "integer", "text"]
_KINDS = ("number", "integer", "text")
SR_PREFIX = "S/R:"


_SCHEMA_KINDS: dict[str, Kind] = {"integer": "integer", "number": "number", "string": "text"}


def kind_for_schema(prop: Mapping[str, object] | None) -> Kind | None:
    """The kind of a field from its OpenAPI input schema (``context.input_schema(type, field)``):
    ``integer`` and ``number`` as such, ``string`` and string enums (schedulers) as text. A union
    counts by its one scalar type (``cfg_scale`` is a number or a list of numbers: a number);
    anything else (images, models) gives None, which lets the values decide."""
    if not prop:
        return None
    options = prop.get("anyOf")
    if isinstance(options, list):
        kinds = {kind_for_schema(o) for o in options if isinstance(o, Mapping)} - {None}
        return kinds.pop() if len(kinds) == 1 else None
    enum = prop.get("enum")
    if isinstance(enum, list) and enum and all(isinstance(e, str) for e in enum):
        return "text"
    return _SCHEMA_KINDS.get(str(prop.get("type")))


def split_values(name: str, text: str) -> list[str]:
    """``text`` split as one CSV row, each value stripped; an empty value is an error."""
    try:
        [row] = list(csv.reader([text], skipinitialspace=True, strict=True)) or [[]]
    except (csv.Error, ValueError) as exc:
        raise ParameterError(f"cannot split {text!r} into values ({exc}); "
                             "quote values that hold commas or quotes as CSV: \"a, b\",c", field=name) from None
    pieces = [piece.strip() for piece in row]
    for position, piece in enumerate(pieces, 1):
        if not piece:
            raise ParameterError(f"value {position} of {text!r} is empty "
                                 "(an empty text can be swept as a JSON list: [\"\", \"a cat\"])", field=name)
    if not pieces:
        raise ParameterError(f"no values in {text!r}", field=name)
    return pieces


def _numeric(name: str, piece: str, integer: bool) -> list[Number] | None:
    """``piece`` as numbers (one for a number, several for a range), or None when neither."""
    values = parse_range(piece, name=name, integer=integer)
    if values is not None:
        return values
    number = parse_number(piece, name=name, integer=integer)
    return None if number is None else [number]


def type_values(name: str, pieces: list[str], kind: Kind | None) -> list[Value]:
    """Text pieces as the values of one axis: numbers for a numeric field, else text."""
    if kind == "text":
        return list(pieces)
    numbers: list[Value] = []
    for piece in pieces:
        values = _numeric(name, piece, integer=kind == "integer")
        if values is None:
            if kind is None:
                return list(pieces)  # not all numeric: every value is text
            hint = " (a malformed range?)" if looks_like_range(piece) else ""
            raise ParameterError(f"{piece!r} is not a number or a range{hint}; write numbers, "
                                 "A-B, A-B (+STEP) or A-B [COUNT]", field=name)
        numbers.extend(values)
        if len(numbers) > MAX_VALUES:
            raise ParameterError(f"more than {MAX_VALUES} values", field=name)
    return numbers


def _reject_constant(text: str) -> float:
    raise ValueError(f"{text} is not a finite number")


def _json_values(name: str, text: str, kind: Kind | None) -> list[Value]:
    try:
        items = json.loads(text, parse_constant=_reject_constant)
    except ValueError as exc:
        raise ParameterError(f"not a valid JSON list ({exc})", field=name) from None
    if not isinstance(items, list) or not items:
        raise ParameterError(f"a JSON sweep must be a non-empty list, got {text!r}", field=name)
    if len(items) > MAX_VALUES:
        raise ParameterError(f"{len(items)} values; at most {MAX_VALUES} are allowed", field=name)
    for item in items:
        _check_json_item(name, item, kind)
    check_texts(name, items)
    if kind == "integer":
        return [int(item) for item in items]
    return items


def _check_json_item(name: str, item: Value, kind: Kind | None) -> None:
    is_number = isinstance(item, int | float) and not isinstance(item, bool)
    if kind in ("number", "integer") and not is_number:
        raise ParameterError(f"{json.dumps(item)} is not a number, and this parameter takes numbers",
                             field=name)
    if kind == "integer" and isinstance(item, float) and not item.is_integer():
        raise ParameterError(f"{item} is not a whole number, and this parameter takes integers",
                             field=name)
    if kind == "text" and not isinstance(item, str):
        raise ParameterError(f"{json.dumps(item)} is not text, and this parameter takes text", field=name)
    if isinstance(item, float) and not math.isfinite(item):
        raise ParameterError(f"{item} is not a finite number", field=name)


def search_replace(name: str, terms_text: str, current: str | None) -> list[Value]:
    """AUTOMATIC1111's Prompt S/R: ``current`` with its first term replaced by each term."""
    if current is None:
        raise ParameterError(f"S/R needs the current value of {name!r} to search in; set it first",
                             field=name)
    if not isinstance(current, str):
        raise ParameterError(f"S/R works on text, and {name!r} holds {current!r}", field=name)
    terms = split_values(name, terms_text)
    search = terms[0]
    if search not in current:
        raise ParameterError(f"the S/R search term {search!r} is not in the current value {current!r}",
                             field=name)
    return [current.replace(search, term) for term in terms]


def parse_sweep(
    name: str,
    text: str,
    *,
    kind: Kind | None = None,
    current: str | None = None,
    base_dir: str | Path | None = None,
) -> list[Value]:
    """The values of the sweep axis ``name`` written as ``text`` (see the module's docstring).

    ``current`` is the field's present value, needed by ``S/R:``; ``base_dir`` is where relative
    ``@file`` paths start. Every malformed value raises :class:`ParameterError` naming ``name``
    (and the file, for ``@file``); nothing is returned half-parsed.
    """
    if kind is not None and kind not in _KINDS:
        raise ParameterError(f"unknown kind {kind!r}", candidates=list(_KINDS), field=name)
    if not isinstance(text, str) or not text.strip():
        raise ParameterError("a sweep needs at least one value", field=name)
    check_texts(name, [text])
    stripped = text.strip()
    if stripped.startswith("["):
        return _json_values(name, stripped, kind)
    if stripped.startswith("@"):
        folder = Path(base_dir) if base_dir is not None else None
        pieces, path = read_source(name, stripped[1:], folder)
        check_texts(name, pieces, file=str(path))
        try:
            return type_values(name, pieces, kind)
        except ParameterError as exc:
            raise ParameterError(exc.reason, field=name, file=path) from None
    if stripped[: len(SR_PREFIX)].upper() == SR_PREFIX:
        if kind in ("number", "integer"):
            raise ParameterError("S/R works on text, and this parameter takes numbers", field=name)
        if current is not None:
            check_texts(name, [current])
        return search_replace(name, stripped[len(SR_PREFIX):], current)
    return type_values(name, split_values(name, stripped), kind)


__all__ = ["SR_PREFIX", "Kind", "kind_for_schema", "parse_sweep", "search_replace", "split_values", "type_values"]
