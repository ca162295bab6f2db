"""The small pieces every judge of benchmark results shares: a safe lookup, a target row, a number."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def get(data: Any, *path: str | int) -> Any:
    """``data[path[0]][path[1]]...`` or None when any step is missing."""
    for key in path:
        if isinstance(data, Mapping):
            data = data.get(key)  # type: ignore[call-overload]
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
        if data is None:
            return None
    return data


def target(name: str, value: float | None, unit: str, met: bool | None, why: str) -> dict[str, Any]:
    """One row of the targets table: NOT MEASURED when ``met`` is None."""
    status = "NOT MEASURED" if met is None else ("MET" if met else "MISSED")
    return {"target": name, "value": value, "unit": unit, "status": status, "why": why}


def fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


__all__ = ["fmt", "get", "target"]
