"""Enqueuing a batch exactly once (the batch itself is built by :class:`invokekit.workflow.Batch`).

The client picks the ``batch_id`` itself, so that when the enqueue POST fails in flight (the
connection is reset, or the response never comes) it can ask the server whether that very batch
exists, and recover its item ids, instead of guessing. A POST is never repeated blindly: only
when the server, asked several times, still has no such batch is it sent again (once).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from invokekit.api import Queue, Transport
from invokekit.errors import GraphRejected, ServerUnavailable

#: how long to keep asking the server about a batch whose enqueue response was lost
RECOVERY_WINDOW = 5.0


def with_labels(exc: GraphRejected, labels: Mapping[str, str]) -> GraphRejected:
    """The same rejection, with each problem's node named by its label (``labels``: node id -> label)."""
    problems = [replace(p, node_label=p.node_label or labels.get(p.node_id)) for p in exc.problems]
    message = str(exc).split("\n", 1)[0]
    return GraphRejected(message, problems=problems, status=exc.status, detail=exc.detail, url=exc.url)


def find_batch_items(queue: Queue, batch_id: str, queue_id: str) -> list[int]:
    """Item ids (oldest first) of ``batch_id`` on the server; empty when there is no such batch."""
    total = int(queue.batch_status(batch_id, queue_id).get("total") or 0)
    if total == 0:
        return []
    found: list[int] = []
    ids = queue.item_ids(queue_id, newest_first=True)
    for start in range(0, len(ids), 200):
        for summary in queue.summaries(ids[start : start + 200], queue_id):
            if summary.get("batch_id") == batch_id:
                found.append(int(summary["item_id"]))
        if len(found) >= total:
            break
    return sorted(found)


def enqueue_once(
    transport: Transport,
    queue: Queue,
    batch: dict[str, Any],
    *,
    queue_id: str,
    prepend: bool = False,
    recovery_window: float = RECOVERY_WINDOW,
) -> tuple[list[int], bool]:
    """POST the batch; on an in-flight failure recover it from the server. Exactly once.

    Returns ``(item_ids oldest first, recovered)``. ``recovered`` is True when the response was
    lost and the ids came from asking the server. Raises :class:`ServerUnavailable` when the
    server cannot be reached at all (then the batch was certainly not enqueued twice).
    ``transport`` is not used any more (``queue`` sends the POST); it stays for the callers.
    """
    batch_id = str(batch["batch_id"])
    for attempt in range(2):
        try:
            response = queue.enqueue_batch(batch, prepend=prepend, queue_id=queue_id)  # never retried
            return sorted(int(i) for i in response["item_ids"]), False
        except ServerUnavailable as lost:
            # The POST may or may not have reached the server: ask it, for a while (it may still be
            # working on it). Only when it answers and has no such batch is a second POST safe.
            items = _recover(queue, batch_id, queue_id, recovery_window, lost)
            if items:
                return items, True
            if attempt == 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _recover(queue: Queue, batch_id: str, queue_id: str, window: float, lost: ServerUnavailable) -> list[int]:
    deadline = time.monotonic() + window
    while True:
        try:
            items = find_batch_items(queue, batch_id, queue_id)
        except ServerUnavailable as exc:
            raise ServerUnavailable(
                f"enqueue of batch {batch_id} failed in flight ({lost}) and the server cannot be asked about it; "
                f"nothing was sent twice (resume from the journal to recover it): {exc}",
                url=exc.url,
            ) from lost
        if items or time.monotonic() >= deadline:
            return items
        time.sleep(0.5)


__all__ = ["enqueue_once", "find_batch_items", "with_labels"]
