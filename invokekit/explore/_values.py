"""The value types exploration passes around, and how a value reads in a label or a file name.

Sweep values end up in InvokeAI's batch data and in JSON (journal, sidecars), so they are JSON
values; one alias names them everywhere. A value shows the same way on a grid's legend and in a
file name (a model by its name, an image by its file name), so that one function decides it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TypeAlias

from invokekit.errors import ParameterError

#: a parameter value as InvokeAI's batch data and JSON carry it
Value: TypeAlias = str | int | float | bool | list["Value"] | dict[str, "Value"] | None

#: the most values one sweep axis, or one batch, may hold (InvokeAI's default queue size)
MAX_VALUES = 10_000


def display_value(value: Value) -> str:
    """How ``value`` reads to a person: text as is, a model by name, an image by file name."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        for key in ("name", "image_name", "key", "board_id"):
            if isinstance(value.get(key), str):
                return str(value[key])
        return ",".join(f"{k}={display_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(display_value(v) for v in value)
    return str(value)


def has_lone_surrogate(text: str) -> bool:
    """True when ``text`` cannot be encoded as UTF-8 (a lone surrogate).

    Such text comes from undecodable bytes on the command line (``surrogateescape``); InvokeAI
    jams its queue for every user on a prompt holding one, so none may reach a sweep.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def check_texts(name: str, values: Iterable[Value], *, file: str | None = None) -> None:
    """Refuse any text in ``values`` (nested too) that holds a lone surrogate."""
    for value in values:
        texts: Iterable[Value]
        if isinstance(value, str):
            if has_lone_surrogate(value):
                raise ParameterError(
                    f"value {value!r} holds undecodable characters (a lone surrogate); "
                    "InvokeAI would jam its queue on it",
                    field=name, file=file,
                )
            continue
        if isinstance(value, Mapping):
            texts = [*value.keys(), *value.values()]
        elif isinstance(value, list):
            texts = value
        else:
            continue
        check_texts(name, texts, file=file)


__all__ = ["MAX_VALUES", "Value", "check_texts", "display_value", "has_lone_surrogate"]
