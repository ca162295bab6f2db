"""Turning what the user gives into one batch, and enqueuing it exactly once.

The client picks the ``batch_id`` itself, so that when the enqueue POST fails in flight (the
connection is reset, or the response never comes) it can ask the server whether that very batch
exists, and recover its item ids, instead of guessing. A POST is never repeated blindly: only
when the server, asked several times, still has no such batch is it sent again (once).
"""

from __future__ import annotations

import copy
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from invokekit.api import Queue, Transport
from invokekit.errors import ServerUnavailable, WorkflowError
from invokekit.results import default_output_nodes

#: how long to keep asking the server about a batch whose enqueue response was lost
RECOVERY_WINDOW = 5.0


@dataclass
class PreparedBatch:
    """A batch ready to POST, with what is needed later to pick the results out."""

    batch: dict[str, Any]
    output_nodes: list[str] | None
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def batch_id(self) -> str:
        return str(self.batch["batch_id"])


def sweep_data(sweep: Mapping[str, Sequence[Any]]) -> list[list[dict[str, Any]]]:
    """A raw-graph sweep ``{"node_id.field": [values]}`` as ``batch.data`` (a product of lists)."""
    data: list[list[dict[str, Any]]] = []
    for key, values in sweep.items():
        node_path, sep, field_name = str(key).rpartition(".")
        if not sep or not node_path or not field_name:
            raise WorkflowError(f"sweep key {key!r} must be 'node_id.field' for a raw graph", field=str(key))
        data.append([{"node_path": node_path, "field_name": field_name, "items": list(values)}])
    return data


def _workflow_labels(workflow: Mapping[str, Any] | None) -> dict[str, str]:
    """Node labels from an editor workflow embedded in a batch (empty when there is none)."""
    labels: dict[str, str] = {}
    for node in (workflow or {}).get("nodes") or []:
        data = node.get("data") if isinstance(node, Mapping) else None
        if isinstance(data, Mapping) and data.get("id") and data.get("label"):
            labels[str(data["id"])] = str(data["label"])
    return labels


def _set_board(graph: dict[str, Any], board_id: str, schema: Mapping[str, Any] | None) -> None:
    """Send the images of every output node that takes a ``board`` to that board."""
    schemas = ((schema or {}).get("components") or {}).get("schemas") or {}
    takes_board = {
        (s.get("properties") or {}).get("type", {}).get("default")
        for s in schemas.values()
        if isinstance(s, Mapping) and "board" in (s.get("properties") or {})
    }
    for node in graph.get("nodes", {}).values():
        if not node.get("is_intermediate", False) and (node.get("type") in takes_board or "board" in node):
            node["board"] = {"board_id": board_id}


def prepare_batch(
    source: Any,
    *,
    context: Any,
    runs: int = 1,
    sweep: Mapping[str, Sequence[Any]] | None = None,
    board_id: str | None = None,
) -> PreparedBatch:
    """Build the batch for ``source``: a Workflow, an API graph dict, or a batch dict.

    ``context`` is a :class:`~invokekit.workflow.ServerContext` (workflows need it to convert).
    """
    if hasattr(source, "to_batch"):
        batch = dict(source.to_batch(context=context, runs=runs, sweep=dict(sweep) if sweep else None, board=board_id))
        output_nodes = list(source.output_nodes)
        labels = {node_id: source.node_label(node_id) for node_id in output_nodes}
        batch.pop("batch_id", None)
    elif isinstance(source, Mapping) and "graph" in source:
        batch = copy.deepcopy(dict(source))
        if runs != 1:
            batch["runs"] = runs
        if sweep:
            batch["data"] = list(batch.get("data") or []) + sweep_data(sweep)
        output_nodes = default_output_nodes(batch["graph"])
        labels = _workflow_labels(batch.get("workflow"))
    elif isinstance(source, Mapping) and "nodes" in source:
        batch = {"graph": copy.deepcopy(dict(source)), "runs": runs, "origin": "invokekit", "destination": "invokekit"}
        if sweep:
            batch["data"] = sweep_data(sweep)
        output_nodes = default_output_nodes(batch["graph"])
        labels = {}
    else:
        raise WorkflowError(f"cannot submit a {type(source).__name__}: expected a Workflow, a graph or a batch dict")
    if board_id and not hasattr(source, "to_batch"):
        _set_board(batch["graph"], board_id, getattr(context, "schema", None))
    batch.setdefault("graph", {}).setdefault("id", str(uuid.uuid4()))
    batch["batch_id"] = str(uuid.uuid4())
    return PreparedBatch(batch=batch, output_nodes=output_nodes, labels=labels)


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


__all__ = ["PreparedBatch", "enqueue_once", "find_batch_items", "prepare_batch", "sweep_data"]
