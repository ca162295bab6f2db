"""The panel's gallery: each result image captioned with the values it was made with, openable
full size, and reusable ("use these settings" puts its values back into the form)."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from invokekit.widgets._render import image_widget


def caption_text(values: Mapping[str, Any], labels: Mapping[str, str]) -> str:
    """``Steps=4, Seed=12`` from the values of a run, named as the form names them."""
    parts = []
    for name, value in values.items():
        if isinstance(value, dict | list) or value is None:
            continue
        text = str(value)
        parts.append(f"{labels.get(name, name)}={text if len(text) <= 40 else text[:39] + chr(0x2026)}")
    return ", ".join(parts)


class Gallery(widgets.VBox):
    """Result cards, newest first, and a full-size viewer under them."""

    def __init__(self, on_use: Callable[[Mapping[str, Any]], None]) -> None:
        self.on_use = on_use
        self.cards = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.cards.add_class("invokekit-gallery")
        self.viewer = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        self.viewer.add_class("invokekit-viewer")
        self.close_button = widgets.Button(description="Close", icon="times", layout=widgets.Layout(display="none"))
        self.close_button.on_click(lambda _b: self.show(None))
        self.shown: Path | None = None
        super().__init__([self.cards, self.close_button, self.viewer])

    @property
    def children_cards(self) -> tuple[widgets.Widget, ...]:
        return tuple(self.cards.children)

    def add(self, paths: list[Path], values: Mapping[str, Any], labels: Mapping[str, str]) -> None:
        """Put one card per image first in the gallery."""
        self.cards.children = tuple(self._card(p, values, labels) for p in paths) + tuple(self.cards.children)

    def _card(self, path: Path, values: Mapping[str, Any], labels: Mapping[str, str]) -> widgets.VBox:
        image = image_widget(path)
        text = caption_text(values, labels)
        caption = widgets.HTML(
            f"<div class='invokekit-caption' style='width:192px;font-size:11px;white-space:normal;"
            f"overflow-wrap:anywhere' title='{html.escape(json.dumps(dict(values), default=str))}'>"
            f"{html.escape(path.name)}<br>{html.escape(text)}</div>"
        )
        full = widgets.Button(description="Full size", icon="expand", layout=widgets.Layout(width="94px"))
        reuse = widgets.Button(description="Use these", tooltip="use these settings", icon="undo",
                               layout=widgets.Layout(width="94px"))
        full.on_click(lambda _b: self.show(path))
        reuse.on_click(lambda _b: self.on_use(values))
        card = widgets.VBox([image, caption, widgets.HBox([full, reuse])], layout=widgets.Layout(margin="2px"))
        card.add_class("invokekit-card")
        return card

    def show(self, path: Path | None) -> None:
        """Show ``path`` at full size under the gallery (``None`` hides the viewer)."""
        self.shown = path
        if path is None:
            self.viewer.layout.display = self.close_button.layout.display = "none"
            return
        fmt = path.suffix.lstrip(".").lower() or "png"
        self.viewer.value, self.viewer.format = path.read_bytes(), ("jpeg" if fmt == "jpg" else fmt)
        self.viewer.layout.width = ""
        self.viewer.layout.display = self.close_button.layout.display = ""
