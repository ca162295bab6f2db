"""How the panel's parts sit on the page: a fixed-width form column beside the live view, wrapping
under it on a narrow page (900 px), errors wrapped under the form, advanced choices folded away."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ipywidgets as widgets

FORM_COLUMN = "440px"
#: pixels x steps above which a run is slow on a small machine (1024 x 1024 at 32 steps is far above)
COSTLY = 768 * 768 * 30


def alias_rows(c: Mapping[str, widgets.Widget]) -> list[widgets.Widget]:
    """The fixed knobs of a workflow without a form, as the panel has always laid them out."""
    rows: list[widgets.Widget] = []
    for keys in (("positive_prompt",), ("negative_prompt",), ("width", "height"), ("steps", "cfg_scale"),
                 ("scheduler",), ("seed",), ("model",), ("vae",)):
        present = [c[k] for k in keys if k in c]
        if present:
            rows.append(present[0] if len(present) == 1 else widgets.HBox(present))
    return rows


def cost_note(values: Mapping[str, Any]) -> str:
    """A word on the cost when the workflow starts large (a library workflow at 1024 px / 32 steps)."""
    try:
        width, height, steps = int(values["width"]), int(values["height"]), int(values["steps"])
    except (KeyError, TypeError, ValueError):
        return ""
    if width * height * steps < COSTLY:
        return ""
    return (f"<div class='invokekit-note' style='color:#9a6700;white-space:normal;font-size:12px'>"
            f"{width}x{height} at {steps} steps is a slow run on a small GPU or a CPU; lower the size "
            f"or the steps to try things out.</div>")


def column(children: list[widgets.Widget], width: str | None = None) -> widgets.VBox:
    layout = widgets.Layout(width=width, min_width=width, overflow="hidden") if width else widgets.Layout(
        flex="1 1 240px", min_width="240px", max_width="100%")
    return widgets.VBox(children, layout=layout)


def advanced(children: list[widgets.Widget]) -> widgets.Accordion:
    box = widgets.Accordion(children=[widgets.VBox(children)], selected_index=None)
    box.set_title(0, "Advanced")
    box.layout.width = FORM_COLUMN
    return box


def more_settings(children: list[widgets.Widget]) -> widgets.Accordion | None:
    """The alias knobs a form does not show (size, steps ...), folded under "More settings"."""
    if not children:
        return None
    box = widgets.Accordion(children=[widgets.VBox(children)], selected_index=None)
    box.set_title(0, "More settings")
    box.layout.width = FORM_COLUMN
    return box
