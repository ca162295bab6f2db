"""The panel's view of the server's queue: pending and running items, the panel's own marked, and
a Cancel for each of ours (another user's items are shown, never touched)."""

from __future__ import annotations

import html
from collections.abc import Callable, Collection
from typing import Any

import ipywidgets as widgets

from invokekit.api._items import IN_PROGRESS, PENDING, WAITING

#: how many of the newest queue items are looked at (the pending ones are among the newest)
NEWEST = 200


class QueueView(widgets.VBox):
    """A Refresh button and one row per pending or running item on the server."""

    def __init__(self, client: Any, ours: Callable[[], Collection[int]]) -> None:
        self.client = client
        self.ours = ours
        self.items: list[dict[str, Any]] = []
        self.refresh_button = widgets.Button(description="Refresh queue", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.rows = widgets.VBox()
        self.note = widgets.HTML("")
        super().__init__([self.refresh_button, self.note, self.rows])
        self.add_class("invokekit-queue")

    def refresh(self) -> None:
        """Read the server's pending and running items again."""
        try:
            ids = self.client.queue.item_ids()[:NEWEST]
            live = [s for s in self.client.queue.summaries(ids) if s.get("status") in (PENDING, IN_PROGRESS, WAITING)]
        except Exception as exc:
            self.note.value = f"<span style='color:#cf222e'>{html.escape(f'{type(exc).__name__}: {exc}')}</span>"
            return
        self.items = sorted(live, key=lambda s: int(s["item_id"]))
        mine = set(self.ours())
        self.note.value = f"{len(self.items)} item(s) pending or running" if self.items else "the queue is empty"
        self.rows.children = tuple(self._row(s, int(s["item_id"]) in mine) for s in self.items)

    def _row(self, summary: dict[str, Any], ours: bool) -> widgets.HBox:
        item_id = int(summary["item_id"])
        who = "<b>ours</b>" if ours else "other"
        text = widgets.HTML(f"<span class='invokekit-queue-item' data-ours='{str(ours).lower()}'>item {item_id}: "
                            f"{html.escape(str(summary.get('status')))} ({who})</span>",
                            layout=widgets.Layout(width="260px"))
        children: list[widgets.Widget] = [text]
        if ours:
            cancel = widgets.Button(description="Cancel", icon="stop", layout=widgets.Layout(width="90px"))
            cancel.on_click(lambda _b: self._cancel(item_id))
            children.append(cancel)
        return widgets.HBox(children)

    def _cancel(self, item_id: int) -> None:
        if item_id not in set(self.ours()):
            return  # never another user's item
        try:
            self.client.queue.cancel(item_id)
        except Exception as exc:
            self.note.value = f"<span style='color:#cf222e'>{html.escape(f'{type(exc).__name__}: {exc}')}</span>"
            return
        self.refresh()
