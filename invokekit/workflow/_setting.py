"""Writing one value into a workflow: is it the kind of value the field holds, and what setting it
changes (a random node's edge replaced by the fixed value, visibly). ``Workflow.set`` and the sweeps
(``_build``) share these checks, so a value refused by one is refused by the other.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from invokekit.errors import ParameterError
from invokekit.workflow._aliases import ALIAS_MODEL_TYPE
from invokekit.workflow._nodes import Place, node_title
from invokekit.workflow._resolve import is_model_field
from invokekit.workflow._storable import value_problem as storable_problem
from invokekit.workflow._values import check_like_current

if TYPE_CHECKING:
    from invokekit.workflow._workflow import Workflow


def check_value(wf: Workflow, name: str, value: Any, places: list[Place], alias: str | None) -> set[tuple[str, str]]:
    """Raise if ``value`` cannot go into ``places``; return the places that take a model."""
    models: set[tuple[str, str]] = set()
    nodes = wf._state()[0].nodes
    for place in places:
        node = nodes[place.node_id]
        current = node["data"]["inputs"][place.field].get("value")
        model = alias in ALIAS_MODEL_TYPE or _takes_model(wf, node["data"]["type"], place.field, current)
        problem = storable_problem(value) or check_like_current(value, current, model=model,
                                                               board=place.field == "board")
        if problem:
            raise ParameterError(f"{name}: {problem}", file=wf.file, node_id=place.node_id,
                                 node_label=node_title(node), field=place.field)
        if model:
            models.add(place.key)
    return models


def _takes_model(wf: Workflow, node_type: str, field: str, current: Any) -> bool:
    """By the schema when known; else a field holding an identifier, or an empty ``*model`` field."""
    prop = wf.context.input_schema(node_type, field) if wf.context is not None else None
    if prop is not None:
        return is_model_field(field, prop)
    if isinstance(current, dict):
        return "key" in current
    return current is None and is_model_field(field, None)


def apply_value(wf: Workflow, name: str, place: Place, value: Any) -> None:
    """Write ``value`` into the workflow dict (as the editor would); a random node feeding the
    place is cut off, and the change said in ``wf.changes``."""
    index = wf._state()[0]
    node = index.nodes[place.node_id]
    if place.random_edge:
        edge = index.feeds.get(place.key)
        if edge is not None:
            wf._raw["edges"] = [e for e in wf._raw["edges"] if e is not edge]
            source = index.nodes[edge["source"]]
            wf.changes.append(
                f"{name}: {node_title(node)}.{place.field} no longer comes from random node "
                f"{node_title(source)!r} ({source['data']['type']}); it is fixed at {value!r}")
    node["data"]["inputs"][place.field]["value"] = copy.deepcopy(value)
    wf._user_set[place.key] = name
