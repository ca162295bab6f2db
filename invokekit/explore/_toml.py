"""A tiny TOML writer for flat presets: one ``key = value`` line per parameter.

Python reads TOML (``tomllib``) but cannot write it; presets only hold text, numbers, booleans
and lists of them, so a few lines do, where a dependency would not earn its place. Whatever is
written here reads back equal with ``tomllib`` (the tests check that for generated values).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from invokekit.errors import ParameterError
from invokekit.explore._values import Value, has_lone_surrogate

PresetValue = str | int | float | bool | list["PresetValue"]
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
_INT64 = 2**63


def toml_string(text: str, *, key: str) -> str:
    """``text`` as a TOML basic string."""
    if has_lone_surrogate(text):
        raise ParameterError(f"{text!r} holds undecodable characters (a lone surrogate)", field=key)
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_value(value: Value, *, key: str) -> str:
    """``value`` as TOML; anything TOML cannot hold flat (None, tables) is refused, naming ``key``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if not -_INT64 <= value < _INT64:
            raise ParameterError(f"{value} does not fit TOML's 64-bit integers", field=key)
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return toml_string(value, key=key)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v, key=key) for v in value) + "]"
    kind = "nothing (None)" if value is None else type(value).__name__
    raise ParameterError(f"a preset holds text, numbers, booleans and lists; this value is {kind}", field=key)


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else toml_string(key, key=key)


def dumps_flat(values: Mapping[str, Value], *, header: str = "") -> str:
    """``values`` as a TOML document of top-level keys, after ``header`` as ``#`` comment lines."""
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    for key, value in values.items():
        if not isinstance(key, str) or not key:
            raise ParameterError(f"preset keys are parameter names, got {key!r}")
        lines.append(f"{toml_key(key)} = {toml_value(value, key=key)}")
    return "\n".join(lines) + "\n"


__all__ = ["PresetValue", "dumps_flat", "toml_key", "toml_string", "toml_value"]
