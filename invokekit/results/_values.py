"""The values that made a result, by the names the user gave them.

A submission knows which friendly name (``seed``, ``cfg_scale``, ``positive_prompt``, ``model``)
went to which graph inputs (``places``: name -> ``[(node_id, field), ...]``) and what the names
that were *set* (not swept) hold. The swept values of each item follow from the batch data the
way InvokeAI enumerates it (``runs`` outermost, then the product of the data lists, the first
varying slowest, each inner list zipped; item ids ascend in that order): :func:`plan_values`
needs no request. The server's own record of an item (``field_values``: ``node_path`` /
``field_name`` / ``value``) is read the same way by :func:`item_values`. A swept input no name
maps to (a raw batch, a workflow's own batch node) is named ``node_id.field``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from invokekit.workflow._metadata import METADATA_NODE

#: name -> the graph inputs it goes to, as ``(node_id, field)`` pairs
Places = Mapping[str, Sequence[Sequence[str]]]


def shown_value(value: Any) -> Any:
    """A value as a person reads it: a model identifier by its name, anything else as it is."""
    if isinstance(value, Mapping) and isinstance(value.get("name"), str) and ("key" in value or "base" in value):
        return value["name"]
    return value


def set_values(graph: Mapping[str, Any], places: Places, *, skip: Sequence[str] = ()) -> dict[str, Any]:
    """What each name (but those in ``skip``) holds in ``graph`` (the value of its first place there)."""
    nodes = graph.get("nodes") or {}
    out: dict[str, Any] = {}
    for name, where in places.items():
        if name in skip:
            continue
        for node_id, field in where:
            node = nodes.get(node_id)
            if isinstance(node, Mapping) and field in node:
                out[name] = node[field]
                break
    return out


def models_of(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The model identifiers among ``values`` (name, key, hash, base), for a sidecar."""
    found = []
    for value in values.values():
        if isinstance(value, Mapping) and isinstance(value.get("name"), str) and "key" in value:
            found.append({k: value.get(k) for k in ("name", "key", "hash", "base", "type") if k in value})
    return found


def item_values(field_values: Sequence[Mapping[str, Any]] | None, places: Places,
                fixed: Mapping[str, Any]) -> dict[str, Any]:
    """``{name: value}`` of one queue item: the ``fixed`` (set) values, then its swept ones."""
    by_place = {(str(n), str(f)): name for name, where in places.items() for n, f in where}
    out = {name: shown_value(value) for name, value in fixed.items()}
    for entry in field_values or []:
        if not isinstance(entry, Mapping):
            continue
        key = (str(entry.get("node_path")), str(entry.get("field_name")))
        if key in by_place or key[0] != METADATA_NODE:  # the metadata node's copies are not values
            out[by_place.get(key, f"{key[0]}.{key[1]}")] = shown_value(entry.get("value"))
    return out


def plan_values(data: Sequence[Sequence[Mapping[str, Any]]], places: Places, fixed: Mapping[str, Any],
                runs: int = 1) -> list[dict[str, Any]]:
    """``{name: value}`` of every item of a batch with ``data`` and ``runs``, in enqueue order."""
    import itertools

    columns = [[[{"node_path": d["node_path"], "field_name": d["field_name"], "value": v} for d, v in
                 zip(inner, row, strict=True)] for row in zip(*(d["items"] for d in inner), strict=True)]
               for inner in data if inner]
    combos = [[fv for part in combo for fv in part] for combo in itertools.product(*columns)]
    return [item_values(fvs, places, fixed) for _ in range(runs) for fvs in combos]


__all__ = ["Places", "item_values", "models_of", "plan_values", "set_values", "shown_value"]
