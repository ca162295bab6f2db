"""The panel's sweep mode: pick one or two fields, give their values; the server runs every
combination as one batch and the results show as a labelled grid (:func:`invokekit.explore.make_grid`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from invokekit.explore import make_grid

NONE = "(none)"


class SweepControls(widgets.VBox):
    """Two (field, values) rows; values are comma-separated text, typed by the field they go to."""

    def __init__(self, choices: Mapping[str, str]) -> None:
        self.choices = dict(choices)  # label -> settable name
        options = [NONE, *self.choices]
        style = {"description_width": "110px"}
        self.rows = [
            (widgets.Dropdown(options=options, value=NONE, description=f"Sweep {axis}", style=style,
                              layout=widgets.Layout(width="230px")),
             widgets.Text(placeholder="values, comma-separated", layout=widgets.Layout(width="196px")))
            for axis in ("x", "y")
        ]
        super().__init__([widgets.HBox(list(row)) for row in self.rows])
        self.add_class("invokekit-sweep")

    def spec(self, workflow: Any) -> dict[str, list[Any]]:
        """``{name: [values]}`` of the rows in use; a row without values is a ``ValueError``."""
        out: dict[str, list[Any]] = {}
        for field, text in self.rows:
            if field.value == NONE:
                continue
            name = self.choices[field.value]
            items = [t.strip() for t in text.value.split(",") if t.strip()]
            if not items:
                raise ValueError(f"sweep {field.value}: give its values, comma-separated")
            out[name] = [workflow.value_from_text(name, t) for t in items]
        return out


def item_values(client: Any, workflow: Any, item_id: int, names: Sequence[str]) -> dict[str, Any]:
    """The swept values one item really ran with, read from its graph on the server."""
    graph = client.queue.item(item_id).get("session", {}).get("graph", {}).get("nodes", {})
    out: dict[str, Any] = {}
    for name in names:
        for node_id, field in workflow.places(name):
            if node_id in graph and field in graph[node_id]:
                out[name] = graph[node_id][field]
                break
    return out


def grid_png(cells: list[tuple[dict[str, Any], Path | None, str]], names: Sequence[str],
             labels: Mapping[str, str]) -> bytes:
    """The grid of a sweep's results, its axes named as the panel names the fields."""
    named = [({labels.get(k, k): v for k, v in values.items()}, path, status) for values, path, status in cells]
    axes = [labels.get(n, n) for n in names]
    grid = make_grid(named, axes[0], axes[1] if len(axes) > 1 else None)
    return grid.pages[0].png()
