"""A tqdm progress bar driven by status updates, for any backend.

The bar counts finished items (completed, failed or canceled), so it means the same thing whatever
the monitor; the postfix shows how many failed or were canceled, and, when the events backend
reports it, the running item's own progress. ``tqdm.auto`` renders as a widget in Jupyter and as
text in a terminal.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from invokekit.api._items import CANCELED, FAILED
from invokekit.monitors._base import StatusUpdate


class ProgressBar:
    """An ``on_update`` callback that advances a tqdm bar; closes itself when all items are done.

    Call :meth:`close` when a watch ends early (timeout, error); closing twice is harmless.
    """

    def __init__(self, total: int, desc: str = "queue items", **tqdm_kwargs: Any) -> None:
        self.total = total
        self._finished: dict[int, str] = {}
        self._lock = threading.Lock()
        from tqdm.auto import tqdm  # imported on first use: it pulls in notebook widgets

        self.bar = tqdm(total=total, desc=desc, unit="item", **tqdm_kwargs)
        self.closed = False

    def __call__(self, update: StatusUpdate) -> None:
        with self._lock:
            if self.closed:
                return
            if update.terminal and update.item_id not in self._finished:
                self._finished[update.item_id] = update.status
                self.bar.update(1)
            self.bar.set_postfix_str(self._postfix(update), refresh=False)
            self.bar.refresh()
            if len(self._finished) >= self.total:
                self._close()

    def _postfix(self, update: StatusUpdate) -> str:
        counts = Counter(self._finished.values())
        parts = [f"{counts[s]} {s}" for s in (FAILED, CANCELED) if counts[s]]
        if not update.terminal and update.progress is not None:
            parts.append(f"item {update.item_id}: {update.progress:.0%}")
        elif not update.terminal:
            parts.append(f"item {update.item_id}: {update.status}")
        return ", ".join(parts)

    def close(self) -> None:
        with self._lock:
            self._close()

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            self.bar.close()


def progress_bar(total: int, desc: str = "queue items", **tqdm_kwargs: Any) -> ProgressBar:
    """An ``on_update`` callback showing ``total`` items finishing as a tqdm bar (notebook or terminal)."""
    return ProgressBar(total, desc=desc, **tqdm_kwargs)
