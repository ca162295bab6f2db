"""How a workflow shows itself in Jupyter: its form fields and aliases as a small HTML table."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from invokekit.workflow._workflow import Workflow


def _value(value: Any) -> str:
    if isinstance(value, dict) and "name" in value:
        text = f"<{value['name']}>"
    else:
        text = json.dumps(value, ensure_ascii=False) if value is not None else "–"
    return html.escape(text if len(text) <= 60 else text[:59] + "…")


def workflow_html(wf: Workflow) -> str:
    """Form (or exposed) fields first, then every other aliased parameter; fed inputs are left out."""
    params = [p for p in wf.parameters if p.settable and (p.in_form or p.aliases)]
    params.sort(key=lambda p: not p.in_form)
    rows = "".join(
        f"<tr><td>{html.escape(p.label)}</td><td><code>{html.escape(p.name)}</code></td><td>{_value(p.value)}</td>"
        f"<td>{'form' if p.in_form else ''}</td><td>{html.escape(', '.join(p.aliases))}"
        f"{' (random)' if p.random else ''}</td></tr>"
        for p in params
    )
    head = "<tr><th>label</th><th>name</th><th>value</th><th></th><th>aliases</th></tr>"
    title = f"<b>{html.escape(wf.name)}</b> <small>(schema {html.escape(wf.version)}, outputs: " + html.escape(
        ", ".join(wf.node_label(n) for n in wf.output_nodes) or "none") + ")</small>"
    return f"<div>{title}<table>{head}{rows}</table></div>"
