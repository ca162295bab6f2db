"""The workflow's own form as widgets: containers as rows and columns, headings, text, dividers, fields.

Schema 4 workflows carry InvokeAI's form-builder layout (``form.elements`` from
``form.rootElementId``); schema 3 workflows list ``exposedFields``, shown one under another. Each
field becomes a :class:`FieldControl` (see :mod:`._fields`); :func:`build_form` returns the
laid-out widget and the controls by label, for the panel and for code (``panel.fields``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import ipywidgets as widgets

from invokekit.widgets._fields import FieldControl, build_field

FORM_WIDTH = "420px"


def _field_control(workflow: Any, context: Any, node_id: str, field_name: str, settings: Mapping[str, Any],
                   models: list[dict[str, Any]], boards: list[dict[str, Any]]) -> FieldControl | None:
    param = next((p for p in workflow.parameters if p.node_id == node_id and p.field == field_name), None)
    if param is None:
        return None
    prop = context.input_schema(param.node_type, field_name) if context is not None else None
    label = param.label.strip() or param.node_label  # as InvokeAI's form shows it: the input's label, else its title
    control = build_field(label, f"{node_id}.{field_name}", field_name, param.value, prop, settings,
                          models=models, boards=boards)
    if not param.settable:
        control.value_widget.disabled = True
        control.value_widget.tooltip = "fed by an edge in this workflow"
    return control


def _unique(label: str, taken: Mapping[str, Any]) -> str:
    if label not in taken:
        return label
    n = 2
    while f"{label} ({n})" in taken:
        n += 1
    return f"{label} ({n})"


def build_form(
    workflow: Any, context: Any, *, models: list[dict[str, Any]], boards: list[dict[str, Any]],
    on_upload: Callable[[FieldControl], None] | None = None,
) -> tuple[widgets.Widget, dict[str, FieldControl]]:
    """The form's widget tree and its field controls by (unique) label; ``({}, ...)`` without a form."""
    raw = workflow.to_dict()
    fields: dict[str, FieldControl] = {}

    def add(node_id: str, field_name: str, settings: Mapping[str, Any]) -> widgets.Widget | None:
        control = _field_control(workflow, context, node_id, field_name, settings, models, boards)
        if control is None:
            return None
        control.label = _unique(control.label, fields)
        fields[control.label] = control
        if control.upload is not None and on_upload is not None:
            control.upload.observe(lambda _change, c=control: on_upload(c), names="value")
        return control.widget

    form = raw.get("form") if isinstance(raw.get("form"), Mapping) else {}
    elements = form.get("elements") if isinstance(form.get("elements"), Mapping) else {}
    root = form.get("rootElementId")
    seen: set[str] = set()

    def element(element_id: str) -> widgets.Widget | None:
        item = elements.get(element_id)
        if not isinstance(item, Mapping) or element_id in seen:
            return None
        seen.add(element_id)
        data = item.get("data") or {}
        kind = item.get("type")
        if kind == "container":
            children = [w for w in (element(c) for c in data.get("children") or []) if w is not None]
            if data.get("layout") == "row":
                box: widgets.Box = widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap"))
            else:
                box = widgets.VBox(children)
            box.add_class(f"invokekit-form-{data.get('layout') or 'column'}")
            return box
        if kind == "heading":
            return widgets.HTML(f"<h4 class='invokekit-form-heading' style='margin:4px 0'>"
                                f"{html.escape(str(data.get('content', '')))}</h4>")
        if kind == "text":
            return widgets.HTML(f"<div class='invokekit-form-text' style='white-space:normal;color:#555'>"
                                f"{html.escape(str(data.get('content', '')))}</div>")
        if kind == "divider":
            return widgets.HTML("<hr class='invokekit-form-divider' style='margin:4px 0'>")
        if kind == "node-field":
            ident = data.get("fieldIdentifier") or {}
            return add(str(ident.get("nodeId")), str(ident.get("fieldName")), data.get("settings") or {})
        return None

    tree: widgets.Widget | None = element(root) if isinstance(root, str) and root in elements else None
    if not fields:
        fields.clear()
        rows = [add(str(e.get("nodeId")), str(e.get("fieldName")), {}) for e in raw.get("exposedFields") or []]
        tree = widgets.VBox([w for w in rows if w is not None]) if fields else None
    if tree is None:
        return widgets.VBox([]), {}
    tree.add_class("invokekit-form")
    tree.layout.width = FORM_WIDTH
    return tree, fields
