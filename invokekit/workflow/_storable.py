"""Values as the server will store them: valid Unicode text and JSON numbers only.

InvokeAI stores each queue item's session as UTF-8 JSON. A string holding a lone surrogate (e.g.
``"caf\\udce9"``, what Python makes of a non-UTF-8 command line) is stored but can never be read
back: the item answers HTTP 500, cannot be canceled, and jams the queue for every user. NaN and
Infinity are not JSON at all (Python's ``json`` writes them anyway, the server refuses the POST).
Both are refused here, before anything is sent, naming where the value sits.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from invokekit.errors import Problem

#: how deep a value may nest (InvokeAI's values are shallow; deeper is a hostile or broken file)
MAX_DEPTH = 100


def value_problem(value: Any) -> str | None:
    """Why ``value`` cannot be stored by the server as it is (``None``: it can)."""
    for where, problem in _problems(value, "", 0):
        return f"{problem} at {where}" if where else problem
    return None


def graph_problems(graph: Mapping[str, Any], data: Sequence[Sequence[Mapping[str, Any]]],
                   labels: Mapping[str, str]) -> list[Problem]:
    """Every value of an API graph and its batch data that the server cannot store, by node and field."""
    problems: list[Problem] = []
    for node_id, node in (graph.get("nodes") or {}).items():
        for field, value in (node.items() if isinstance(node, Mapping) else ()):
            problem = value_problem(value)
            if problem:
                problems.append(Problem(str(node_id), labels.get(node_id), str(field), problem))
    for inner in data:
        for entry in inner:
            problem = value_problem(entry.get("items"))
            if problem:
                node_id = str(entry.get("node_path"))
                problems.append(Problem(node_id, labels.get(node_id), str(entry.get("field_name")),
                                        f"batch data {problem}"))
    return problems


def _problems(value: Any, where: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_DEPTH:
        yield where, f"nests deeper than {MAX_DEPTH} levels"
        return
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            yield where, problem
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield where, f"{value!r} is not a JSON number (NaN and Infinity cannot be sent)"
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and text_problem(key):
                yield f"{where}[{key!r}]", f"the key {text_problem(key)}"
            yield from _problems(item, f"{where}[{key!r}]", depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _problems(item, f"{where}[{index}]", depth + 1)


def text_problem(text: str) -> str | None:
    """Why ``text`` is not valid Unicode (a lone surrogate), or ``None``."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = text[exc.start : exc.end]
        return (f"holds invalid Unicode {bad!r} at character {exc.start} (a lone surrogate, e.g. from a "
                "non-UTF-8 terminal): the server would store an item it cannot read back")
    return None


__all__ = ["MAX_DEPTH", "graph_problems", "text_problem", "value_problem"]
