"""Values of batch and generator nodes, computed as InvokeAI's UI computes them before enqueueing.

A batch node (``integer_batch`` ...) holds its list directly, or takes it from a generator node
(``integer_generator`` ...) whose ``generator`` setting describes a sequence: arithmetic, linear,
uniform random (Mersenne Twister, seeded like the UI's ``mersenne-twister`` package, so a seeded
random generator gives the same numbers here as in the browser) or a parsed string. Generators
that need the server (dynamic prompts, images from a board) are refused with a clear error.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

from invokekit.errors import WorkflowError
from invokekit.workflow._nodes import GENERATOR_NODE_TYPES, is_connector, is_invocation, resolve_connector_source

_BATCH_FIELD = {
    "image_batch": "images",
    "string_batch": "strings",
    "integer_batch": "integers",
    "float_batch": "floats",
}


class _MersenneTwister:
    """MT19937 with ``init_genrand(seed)`` and 32-bit ``random()``, as in npm ``mersenne-twister``."""

    def __init__(self, seed: int) -> None:
        self.mt = [0] * 624
        self.index = 624
        self.mt[0] = seed & 0xFFFFFFFF
        for i in range(1, 624):
            prev = self.mt[i - 1] ^ (self.mt[i - 1] >> 30)
            self.mt[i] = (1812433253 * prev + i) & 0xFFFFFFFF

    def _int32(self) -> int:
        if self.index >= 624:
            for i in range(624):
                y = (self.mt[i] & 0x80000000) | (self.mt[(i + 1) % 624] & 0x7FFFFFFF)
                self.mt[i] = self.mt[(i + 397) % 624] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)
            self.index = 0
        y = self.mt[self.index]
        self.index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C5680
        y ^= (y << 15) & 0xEFC60000
        y ^= y >> 18
        return y & 0xFFFFFFFF

    def random(self) -> float:
        return self._int32() * (1.0 / 4294967296.0)


def _rng(seed: Any) -> Any:
    if isinstance(seed, int) and not isinstance(seed, bool):
        return _MersenneTwister(seed).random
    return random.random


def _split(gen: dict[str, Any]) -> list[str]:
    text, split_on = str(gen.get("input", "")), str(gen.get("splitOn", ","))
    if split_on == "":
        return [text]
    try:
        sep = json.loads(f'"{split_on}"')
    except ValueError:
        sep = split_on
    return text.split(sep) if sep else [text]


def _numbers(parts: list[str], parse: Any) -> list[Any]:
    out = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            out.append(parse(part))
        except ValueError:
            continue
    return out


def _int_prefix(text: str) -> int:
    """``parseInt``: the leading integer of ``text``."""
    digits = ""
    for i, ch in enumerate(text):
        if ch.isdigit() or (i == 0 and ch in "+-"):
            digits += ch
        else:
            break
    return int(digits)


MAX_ITEMS = 100_000


def _count(gen: dict[str, Any], where: dict[str, Any]) -> int:
    count = gen.get("count", 10)
    if isinstance(count, bool) or not isinstance(count, int | float) or not 0 <= count <= MAX_ITEMS:
        raise WorkflowError(f"generator count must be a number from 0 to {MAX_ITEMS}, got {count!r}",
                            field="generator", **where)
    return int(count)


def generator_values(gen: Any, kind: str, where: dict[str, Any]) -> list[Any]:
    """The list a ``<kind>_generator`` node's ``generator`` setting produces."""
    if not isinstance(gen, dict) or not isinstance(gen.get("type"), str):
        raise WorkflowError("generator setting is missing or not an object", field="generator", **where)
    g_type = gen["type"]
    try:
        if isinstance(gen.get("values"), list) and kind == "float":
            return list(gen["values"])
        if g_type.endswith("_arithmetic_sequence"):
            start, count = gen.get("start", 0), _count(gen, where)
            step = gen.get("step", 1 if kind == "integer" else 0.1)
            return [start] if step == 0 else [start + i * step for i in range(int(count))]
        if g_type.endswith("_linear_distribution"):
            start, count = gen.get("start", 0), _count(gen, where)
            end = gen.get("end", 10 if kind == "integer" else 1)
            if count == 1:
                return [start]
            if kind == "integer":
                return [start + math.floor((end - start) * (i / (count - 1)) + 0.5) for i in range(count)]
            return [start + (end - start) * (i / (count - 1)) for i in range(count)]
        if g_type.endswith("_random_distribution_uniform"):
            rng = _rng(gen.get("seed"))
            lo, hi, count = gen.get("min", 0), gen.get("max", 10 if kind == "integer" else 1), _count(gen, where)
            if kind == "integer":
                return [math.floor(rng() * (hi - lo + 1)) + lo for _ in range(count)]
            return [rng() * (hi - lo) + lo for _ in range(count)]
        if g_type.endswith("_parse_string"):
            parts = _split(gen)
            if kind == "string":
                return [p for p in parts if p]
            parse = _int_prefix if kind == "integer" else float
            return [v for v in _numbers(parts, parse) if not (isinstance(v, float) and math.isnan(v))]
    except (TypeError, ValueError, OverflowError) as exc:
        raise WorkflowError(f"generator {g_type!r} has invalid settings: {exc}", field="generator", **where) from None
    raise WorkflowError(
        f"generator {g_type!r} needs the InvokeAI UI or server to expand (dynamic prompts / board images); "
        "replace it with a batch node holding the values",
        field="generator",
        **where,
    )


def batch_values(node: dict[str, Any], nodes: dict[str, dict[str, Any]], edges: list[dict[str, Any]],
                 where: dict[str, Any]) -> list[Any]:
    """The items of batch node ``node``: its own list, or what the generator feeding it yields."""
    data = node["data"]
    field = _BATCH_FIELD[data["type"]]
    incoming = next(
        (e for e in edges if e["type"] == "default" and e["target"] == node["id"] and e["targetHandle"] == field),
        None,
    )
    if incoming is None:
        own = data["inputs"].get(field, {}).get("value")
        if own is None:
            return []
        if not isinstance(own, list):
            raise WorkflowError("batch items must be a list", field=field, **where)
        return list(own)
    source = _follow_connectors(incoming, nodes, edges)
    if source is None or source["data"]["type"] not in GENERATOR_NODE_TYPES:
        raise WorkflowError("batch node is fed by something that is not a generator node", field=field, **where)
    kind = source["data"]["type"].removesuffix("_generator")
    gen_where = {"node_id": source["id"], "node_label": source["data"].get("label") or source["data"]["type"]}
    gen_where["file"] = where.get("file")
    return generator_values(source["data"]["inputs"].get("generator", {}).get("value"), kind, gen_where)


def _follow_connectors(edge: dict[str, Any], nodes: dict[str, dict[str, Any]],
                       edges: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The invocation node behind ``edge``'s source, through any connector nodes."""
    node = nodes.get(edge["source"])
    if is_connector(node):
        found = resolve_connector_source(edge["source"], nodes, edges)
        node = nodes.get(found[0]) if found else None
    return node if is_invocation(node) else None
