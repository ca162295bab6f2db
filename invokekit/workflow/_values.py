"""Checking a value against what its field accepts, before anything is sent.

Two levels: without a server schema, a value must at least have the kind of the value the
workflow already holds (a number stays a number, a model stays a model); with the schema, the
value is checked against the field's JSON schema (type, ``enum`` such as schedulers, bounds such
as ``multipleOf: 8`` for sizes). Both return a message, or ``None`` when the value is fine.
"""

from __future__ import annotations

from typing import Any

from invokekit.workflow._context import ServerContext

_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "boolean": (bool,), "array": (list,), "object": (dict,), "integer": (int,),
    "number": (int, float),
}


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    for name in ("integer", "number", "string", "array", "object"):
        if isinstance(value, _JSON_TYPES[name]):
            return name
    return type(value).__name__


def check_like_current(value: Any, current: Any, *, model: bool, board: bool) -> str | None:
    """Offline check: ``value`` must be of the same kind as the workflow's current value."""
    if board:
        is_ref = isinstance(value, dict) and isinstance(value.get("board_id"), str)
        ok = value is None or isinstance(value, str) or is_ref
        return None if ok else "a board is a name, an id, 'auto', 'none' or {'board_id': ...}"
    if model:
        if value is None or isinstance(value, str):
            return None
        if isinstance(value, dict) and all(isinstance(value.get(k), str) for k in ("key", "name", "base", "type")):
            return None
        return "a model is a name, a key, or an identifier dict with key, hash, name, base and type"
    if current is None or value is None:
        return None
    want, got = _kind(current), _kind(value)
    if want == got or {want, got} == {"number", "integer"}:
        return None  # JSON writes 6.0 as 6: whether a number must be whole is the schema's call
    return f"expected a value like {current!r} ({want}), got {value!r} ({got})"


def check_schema(value: Any, prop: dict[str, Any], context: ServerContext, depth: int = 0) -> str | None:
    """Check ``value`` against one property schema of the server's OpenAPI document."""
    if depth > 20:
        return None
    if "$ref" in prop:
        target = context.resolve_ref(prop["$ref"])
        return check_schema(value, target, context, depth + 1) if target else None
    if "anyOf" in prop or "oneOf" in prop:
        branches = prop.get("anyOf") or prop.get("oneOf") or []
        errors = [check_schema(value, b, context, depth + 1) for b in branches if isinstance(b, dict)]
        if not errors or any(e is None for e in errors):
            return _bounds(value, prop)
        specific = [e for e in errors if e and not e.startswith("expected ")]
        return specific[0] if len(specific) == 1 else f"expected {_describe(prop)}, got {value!r}"
    if "const" in prop and value != prop["const"]:
        return f"expected {prop['const']!r}, got {value!r}"
    if "enum" in prop and value not in prop["enum"]:
        return f"{value!r} is not one of {', '.join(map(str, prop['enum']))}"
    json_type = prop.get("type")
    if isinstance(json_type, str):
        if json_type == "null":
            return None if value is None else f"expected null, got {value!r}"
        allowed = _JSON_TYPES.get(json_type)
        if allowed and (not isinstance(value, allowed) or (isinstance(value, bool) and json_type != "boolean")):
            return f"expected {json_type}, got {value!r}"
        if json_type == "object" and isinstance(value, dict):
            missing = [k for k in prop.get("required", []) if k not in value]
            if missing:
                return f"{prop.get('title', 'object')} lacks {', '.join(missing)}"
        if json_type == "array" and isinstance(value, list) and isinstance(prop.get("items"), dict):
            for item in value:
                problem = check_schema(item, prop["items"], context, depth + 1)
                if problem:
                    return f"item {item!r}: {problem}"
    return _bounds(value, prop)


def _bounds(value: Any, prop: dict[str, Any]) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    checks = (
        ("minimum", lambda b: value >= b, ">="), ("ge", lambda b: value >= b, ">="),
        ("maximum", lambda b: value <= b, "<="), ("le", lambda b: value <= b, "<="),
        ("exclusiveMinimum", lambda b: value > b, ">"), ("exclusiveMaximum", lambda b: value < b, "<"),
    )
    for key, ok, sign in checks:
        bound = prop.get(key)
        if isinstance(bound, int | float) and not ok(bound):
            return f"{value!r} is out of range: must be {sign} {bound}"
    step = prop.get("multipleOf")
    if isinstance(step, int | float) and step and (value / step) != int(value / step):
        return f"{value!r} must be a multiple of {step}"
    return None


def _describe(prop: dict[str, Any]) -> str:
    names = []
    for branch in prop.get("anyOf") or prop.get("oneOf") or []:
        if "$ref" in branch:
            names.append(branch["$ref"].rsplit("/", 1)[-1])
        elif "type" in branch:
            names.append(str(branch["type"]))
    return " or ".join(names) or "another value"
