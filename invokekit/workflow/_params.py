"""The settable inputs of a workflow, and finding them by the names people use.

A parameter is one input of one invocation node. Names that reach it: its form label (as the
user sees it in InvokeAI's form: the input's label, else the field's title), ``node-label.field``,
``node-id.field``, and the aliases of :mod:`._aliases`. Unknown or ambiguous names are errors that
list what would have been accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from invokekit.errors import ParameterError
from invokekit.workflow._aliases import ALIASES, EdgeIndex
from invokekit.workflow._context import ServerContext
from invokekit.workflow._nodes import Place, field_title, node_title


@dataclass(frozen=True)
class Parameter:
    """One input of one node, as ``wf.parameters`` lists it.

    ``connected``: an edge feeds it (not settable), unless ``random`` (the edge comes from a random
    node and setting the value replaces it). ``in_form``: shown in the workflow's form (schema 4
    ``form``) or listed in the legacy ``exposedFields``. ``aliases``: the friendly names that set it.
    """

    node_id: str
    node_label: str
    node_type: str
    field: str
    label: str
    value: Any
    in_form: bool
    connected: bool
    random: bool = False
    aliases: tuple[str, ...] = field(default=())
    form_kind: str | None = None  # "form" (schema 4 form builder) or "exposed" (legacy exposedFields)

    @property
    def name(self) -> str:
        """``node-label.field``, the name to use when the label is unique."""
        return f"{self.node_label}.{self.field}"

    @property
    def settable(self) -> bool:
        return not self.connected or self.random


def form_fields(raw: dict[str, Any]) -> tuple[list[tuple[str, str]], str]:
    """(node id, field) of the form's node-field elements in display order, else ``exposedFields``;
    and which of the two it was ("form" or "exposed")."""
    out: list[tuple[str, str]] = []
    form = raw.get("form")
    elements = form.get("elements") if isinstance(form, dict) else None
    if isinstance(elements, dict) and elements:
        root = form.get("rootElementId")  # type: ignore[union-attr]
        order = _walk(elements, root) if isinstance(root, str) else list(elements)
        for element_id in order:
            element = elements.get(element_id)
            if isinstance(element, dict) and element.get("type") == "node-field":
                ident = element.get("data", {}).get("fieldIdentifier", {})
                out.append((ident["nodeId"], ident["fieldName"]))
        if out:
            return out, "form"
    for item in raw.get("exposedFields") or []:
        out.append((item["nodeId"], item["fieldName"]))
    return out, "exposed"


def _walk(elements: dict[str, Any], root: str) -> list[str]:
    order: list[str] = []
    stack, seen = [root], set()
    while stack:
        element_id = stack.pop()
        if not isinstance(element_id, str) or element_id in seen:
            continue
        seen.add(element_id)
        order.append(element_id)
        element = elements.get(element_id)
        children = element.get("data", {}).get("children") if isinstance(element, dict) else None
        if isinstance(children, list):
            stack.extend(reversed(children))
    return order


def input_label(node: dict[str, Any], field_name: str, schema_title: str | None = None) -> str:
    """The label the UI shows for an input: its own label, else the schema title, else a title."""
    label = node["data"]["inputs"].get(field_name, {}).get("label")
    if isinstance(label, str) and label.strip():
        return label
    return schema_title or field_title(field_name)


def list_parameters(
    raw: dict[str, Any], index: EdgeIndex, aliases: dict[str, list[Place]], context: ServerContext | None = None
) -> list[Parameter]:
    """Every input of every invocation node; with a schema, unlabelled inputs get the UI's titles."""
    fields, kind = form_fields(raw)
    in_form = set(fields)
    alias_of: dict[tuple[str, str], list[str]] = {}
    for alias, places in aliases.items():
        for place in places:
            alias_of.setdefault(place.key, []).append(alias)
    random_fed = {p.key for places in aliases.values() for p in places if p.random_edge}
    params = []
    for node in index.invocations():
        data = node["data"]
        for name, spec in data["inputs"].items():
            key = (node["id"], name)
            prop = context.input_schema(data["type"], name) if context is not None else None
            title = prop.get("title") if prop else None
            label = input_label(node, name, title if isinstance(title, str) else None)
            params.append(
                Parameter(
                    node_id=node["id"],
                    node_label=node_title(node),
                    node_type=data["type"],
                    field=name,
                    label=label,
                    value=spec.get("value"),
                    in_form=key in in_form,
                    form_kind=kind if key in in_form else None,
                    connected=key in index.feeds,
                    random=key in random_fed,
                    aliases=tuple(alias_of.get(key, ())),
                )
            )
    return params


def resolve_name(
    name: str, params: list[Parameter], aliases: dict[str, list[Place]], file: str | None
) -> tuple[list[Place], str | None]:
    """The places ``name`` sets, and the alias it was (``None`` for a single-field name)."""
    if name in aliases:
        places = aliases[name]
        if not places:
            raise ParameterError(
                f"alias {name!r} has nothing settable in this workflow (every place that means it "
                "is fed by an edge, or there is none)",
                candidates=_all_names(params, aliases),
                file=file,
                field=name,
            )
        return list(places), name
    matches: list[Parameter] = []
    if "." in name:
        prefix, _, field_name = name.rpartition(".")
        matches = [p for p in params if p.node_id == prefix and p.field == field_name]
        if not matches:
            matches = [p for p in params if p.node_label == prefix and p.field == field_name]
        if not matches:
            matches = [p for p in params if p.node_label.casefold() == prefix.casefold() and p.field == field_name]
    if not matches:
        wanted = name.casefold()
        labelled = [p for p in params if p.label.casefold() == wanted]
        matches = [p for p in labelled if p.in_form] or labelled
    if not matches:
        raise ParameterError(
            f"unknown parameter {name!r}", candidates=_all_names(params, aliases), name=name, file=file
        )
    if len(matches) > 1:
        raise ParameterError(
            f"parameter name {name!r} is ambiguous", file=file, candidates=[f"{p.node_id}.{p.field}" for p in matches]
        )
    param = matches[0]
    if param.connected and not param.random:
        raise ParameterError(
            "this input is fed by an edge, so it cannot be set",
            file=file,
            node_id=param.node_id,
            node_label=param.node_label,
            field=param.field,
        )
    random_place = next(
        (p for places in aliases.values() for p in places if p.key == (param.node_id, param.field) and p.random_edge),
        None,
    )
    return [random_place or Place(param.node_id, param.field)], None


def _all_names(params: list[Parameter], aliases: dict[str, list[Place]]) -> list[str]:
    names = [a for a in ALIASES if aliases.get(a)]
    names += sorted({p.label for p in params if p.in_form and p.settable})
    names += [p.name for p in params if p.settable]
    return list(dict.fromkeys(names))
