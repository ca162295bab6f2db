"""The session queue: enqueue a batch, read items and batches, cancel, clear, pause.

Reads are retried by the transport (the ``*_by_ids`` POSTs only read, so they are marked so);
:meth:`Queue.enqueue_batch` is never retried: a lost answer is resolved by asking the server
whether the batch exists (see ``invokekit.client._submit.enqueue_once``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from invokekit.api._base import Namespace, segment
from invokekit.api._transport import Transport


class Queue(Namespace):
    """The session queue ``queue_id`` ("default" unless you run several); every method takes
    ``queue_id`` to address another one."""

    def __init__(self, transport: Transport, queue_id: str = "default") -> None:
        super().__init__(transport)
        self.queue_id = queue_id

    def _p(self, queue_id: str | None) -> str:
        return f"/api/v1/queue/{segment(queue_id or self.queue_id)}"

    # --- submitting --------------------------------------------------------------------------

    def enqueue_batch(
        self, batch: Mapping[str, Any], *, prepend: bool = False, queue_id: str | None = None
    ) -> dict[str, Any]:
        """POST one batch, exactly once (never retried); the answer holds ``item_ids``."""
        body = {"batch": dict(batch), "prepend": prepend}
        return dict(self._t.post_json(f"{self._p(queue_id)}/enqueue_batch", body))

    # --- reading -----------------------------------------------------------------------------

    def status(self, queue_id: str | None = None) -> dict[str, Any]:
        """Counts by status and the processor's state, for the whole queue."""
        return dict(self._t.get_json(f"{self._p(queue_id)}/status"))

    def item(self, item_id: int, queue_id: str | None = None) -> dict[str, Any]:
        """One whole queue item (graph, session, error fields)."""
        return dict(self._t.get_json(f"{self._p(queue_id)}/i/{segment(int(item_id))}"))

    def items(self, item_ids: Sequence[int], queue_id: str | None = None) -> list[dict[str, Any]]:
        """Whole queue items of many ids in one request (a read-only POST)."""
        return self._by_ids("items_by_ids", item_ids, queue_id)

    def summaries(self, item_ids: Sequence[int], queue_id: str | None = None) -> list[dict[str, Any]]:
        """Short records (status, timestamps, batch) of many items in one request (read-only)."""
        return self._by_ids("item_summaries_by_ids", item_ids, queue_id)

    def _by_ids(self, what: str, item_ids: Sequence[int], queue_id: str | None) -> list[dict[str, Any]]:
        if not item_ids:
            return []
        body = {"item_ids": [int(i) for i in item_ids]}
        return list(self._t.post_json(f"{self._p(queue_id)}/{what}", body, idempotent=True) or [])

    def batch_status(self, batch_id: str, queue_id: str | None = None) -> dict[str, Any]:
        """Counts by status of one batch's items (``total`` 0: no such batch)."""
        return dict(self._t.get_json(f"{self._p(queue_id)}/b/{segment(batch_id)}/status"))

    def item_ids(self, queue_id: str | None = None, *, newest_first: bool = True) -> list[int]:
        """The ids of every item in the queue."""
        body = self._t.get_json(f"{self._p(queue_id)}/item_ids", order_dir="DESC" if newest_first else "ASC")
        return [int(i) for i in body.get("item_ids") or []]

    def counts_by_destination(self, destination: str, queue_id: str | None = None) -> dict[str, Any]:
        """Counts by status of the items sent with ``destination``."""
        return dict(self._t.get_json(f"{self._p(queue_id)}/counts_by_destination", destination=destination))

    # --- changing ----------------------------------------------------------------------------

    def cancel(self, item_id: int, queue_id: str | None = None) -> dict[str, Any]:
        return dict(self._t.put_json(f"{self._p(queue_id)}/i/{segment(int(item_id))}/cancel") or {})

    def cancel_by_batch_ids(self, batch_ids: Sequence[str], queue_id: str | None = None) -> dict[str, Any]:
        """Cancel every item of these batches; the answer counts them (``canceled``)."""
        body = {"batch_ids": [str(b) for b in batch_ids]}
        return dict(self._t.put_json(f"{self._p(queue_id)}/cancel_by_batch_ids", body) or {})

    def delete_by_destination(self, destination: str, queue_id: str | None = None) -> dict[str, Any]:
        """Delete every item sent with ``destination`` (pending ones too); the answer counts them."""
        return dict(self._t.delete_json(f"{self._p(queue_id)}/d/{segment(destination)}") or {})

    def clear(self, queue_id: str | None = None) -> dict[str, Any]:
        """Delete every item of the queue (the running one is canceled)."""
        return dict(self._t.put_json(f"{self._p(queue_id)}/clear") or {})

    def prune(self, queue_id: str | None = None) -> dict[str, Any]:
        """Delete the finished items (completed, failed, canceled)."""
        return dict(self._t.put_json(f"{self._p(queue_id)}/prune") or {})

    def pause(self, queue_id: str | None = None) -> None:
        self._t.put_json(f"{self._p(queue_id)}/processor/pause")

    def resume(self, queue_id: str | None = None) -> None:
        self._t.put_json(f"{self._p(queue_id)}/processor/resume")


__all__ = ["Queue"]
