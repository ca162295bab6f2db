"""Enqueuing a batch exactly once (the batch itself is built by :class:`invokekit.workflow.Batch`).

The client picks the ``batch_id`` itself, so that when the enqueue POST fails in flight (the
connection is reset, the response never comes, a proxy answers 502/503/504) it can ask the server
whether that very batch exists, and recover its item ids, instead of guessing. A POST is never
repeated blindly: the request may still be on its way (a proxy holding it, a server busy in its
``gc.collect()``), so the server is asked for as long as the lost request could still arrive (the
request timeout plus :data:`RECOVERY_MARGIN`, from the failure), and only when it still has no
such batch after that is the POST sent again (once).

The server may also take fewer items than asked: its queue holds at most ``max_queue_size`` items
and it silently truncates a batch to the room left. A batch runs whole or not at all, so the
items it did take are canceled again and :class:`QueueFull` says how many it took of how many.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from invokekit.api import Queue, Transport
from invokekit.client._job import Job
from invokekit.errors import GraphRejected, JobError, QueueFull, ServerError, ServerUnavailable
from invokekit.results import Journal, Timings

if TYPE_CHECKING:
    from invokekit.client._client import Client
    from invokekit.workflow import Batch

#: asked about a lost enqueue for the request timeout plus this long, from the moment it was lost:
#: a server slow enough to miss the timeout may take as long again (plus its gc pauses) to commit
RECOVERY_MARGIN = 10.0
#: how often the server is asked about a batch whose enqueue answer was lost
RECOVERY_POLL = 0.5


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


def journal_failure(log: Journal, batch_id: str, exc: BaseException) -> None:
    """Record a failed submission; for :class:`QueueFull` also the items the server took (canceled)."""
    if isinstance(exc, QueueFull) and exc.item_ids:
        log.enqueued(batch_id, exc.item_ids)
        log.statuses(batch_id, dict.fromkeys(exc.item_ids, "canceled"))
    log.failed_submit(batch_id, f"{type(exc).__name__}: {exc}")


def check_batch_items(queue: Queue, batch_id: str, item_ids: list[int], queue_id: str) -> list[int]:
    """``item_ids``; raise :class:`JobError` when any belongs to another batch than ``batch_id``
    on the server (item ids are given out again when its database is re-created)."""
    for start in range(0, len(item_ids), 200):
        for summary in queue.summaries(item_ids[start : start + 200], queue_id):
            other = summary.get("batch_id")
            if other != batch_id:
                item_id = int(summary["item_id"])
                raise JobError(
                    f"queue item {item_id} on the server belongs to batch {other}, not to batch {batch_id} "
                    "that recorded it: the server's database was re-created (or this is another server), so "
                    "that batch's items are lost; nothing of the other batch is taken for it", item_id=item_id)
    return item_ids


def enqueue_once(
    transport: Transport,
    queue: Queue,
    batch: dict[str, Any],
    *,
    queue_id: str,
    prepend: bool = False,
    recovery_window: float | None = None,
    expected: int | None = None,
) -> tuple[list[int], bool]:
    """POST the batch; on an in-flight failure recover it from the server. Exactly once.

    Returns ``(item_ids oldest first, recovered)``. ``recovered`` is True when the response was
    lost and the ids came from asking the server. Raises :class:`ServerUnavailable` when the
    server cannot be reached at all (then the batch was certainly not enqueued twice), and
    :class:`QueueFull` when the server took fewer items than the batch makes (those are canceled).
    ``recovery_window`` (default: ``transport.timeout`` + :data:`RECOVERY_MARGIN`) is how long the
    server is asked about a lost enqueue before the one second POST. ``expected`` is how many
    items the batch makes (checks a recovered batch; an answer carries the server's ``requested``).
    """
    batch_id = str(batch["batch_id"])
    window = recovery_window if recovery_window is not None else float(transport.timeout) + RECOVERY_MARGIN
    for attempt in range(2):
        try:
            response = queue.enqueue_batch(batch, prepend=prepend, queue_id=queue_id)  # never retried
        except ServerUnavailable as lost:
            # The POST may or may not have reached the server, or may still be on its way: ask it
            # for as long as the request could still arrive. Only when it answers, all that time,
            # that it has no such batch is a second POST safe.
            items = _recover(queue, batch_id, queue_id, window, lost)
            if items:
                return _whole(queue, batch_id, queue_id, items, expected), True
            if attempt == 1:
                raise
            continue
        items = sorted(int(i) for i in response.get("item_ids") or [])
        return _whole(queue, batch_id, queue_id, items, _requested(response, expected)), False
    raise AssertionError("unreachable")  # pragma: no cover


def _requested(response: Mapping[str, Any], expected: int | None) -> int | None:
    return int(response["requested"]) if isinstance(response.get("requested"), int) else expected


def _whole(queue: Queue, batch_id: str, queue_id: str, items: list[int], requested: int | None) -> list[int]:
    """``items`` when the server took the whole batch; else cancel them and raise :class:`QueueFull`."""
    enqueued = len(items)
    requested = enqueued if requested is None else requested
    if items and enqueued >= requested:
        return items
    try:
        counts = queue.status(queue_id).get("queue") or {}
        held = f" (it holds {counts.get('pending', '?')} pending, {counts.get('in_progress', '?')} in progress)"
    except ServerError:
        held = ""
    canceled = ""
    if items:
        try:
            queue.cancel_by_batch_ids([batch_id], queue_id)
            canceled = f"; the {len(items)} it took (item(s) {_ids(items)}) were canceled: a batch runs whole or not"
        except ServerError as exc:
            canceled = f"; cancel the {len(items)} it took (item(s) {_ids(items)}) by hand, that failed: {exc}"
    raise QueueFull(
        f"the server's queue is full{held}: it took {enqueued} of the {requested} item(s) of batch {batch_id} "
        f"(its max_queue_size in invokeai.yaml is reached){canceled}. Submit again when the queue has room, "
        "or in smaller batches",
        requested=requested, enqueued=enqueued, item_ids=items, batch_id=batch_id,
    )


def _ids(items: list[int]) -> str:
    return ", ".join(map(str, items[:10])) + (" ..." if len(items) > 10 else "")


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
        time.sleep(min(RECOVERY_POLL, max(0.0, deadline - time.monotonic())))


def send_batch(client: Client, batch: Batch, *, journal: Journal | None, queue_id: str, prepend: bool,
               timings: Timings, name: str | None, batch_id: str | None = None) -> Job:
    """The second half of :meth:`Client.submit`: a checked batch's local media uploaded, the
    submission journaled, the batch enqueued exactly once, and its :class:`Job` (with each item's
    values) returned. ``batch_id`` is the client's choice when given (a pool journals it first)."""
    log = journal
    from invokekit.media import planned_inputs, upload_media

    uploads = upload_media(client, batch, timings=timings)  # local images and videos, once per content
    batch_id = batch_id or str(uuid.uuid4())
    output_nodes = batch.output_nodes
    labels = {n: batch.labels[n] for n in output_nodes if n in batch.labels}
    from invokekit.explore._names import check_template
    from invokekit.results._values import plan_values, set_values

    places, values = batch.value_places, set_values(batch.graph, batch.value_places, skip=batch.swept)
    if name is not None:
        check_template(name, places)  # a file name template that cannot be filled is refused now
    if log is not None:
        log.submitted(batch_id, url=client.url, queue_id=queue_id, output_nodes=output_nodes, labels=labels,
                      places=places, values=values, swept=batch.swept)
    with timings.stage("submit"):
        try:
            item_ids, recovered = enqueue_once(
                client.transport, client.queue, batch.body(batch_id), queue_id=queue_id,
                prepend=prepend or batch.prepend, expected=batch.item_count,
            )
        except Exception as exc:
            if log is not None:
                journal_failure(log, batch_id, exc)
            if isinstance(exc, GraphRejected) and batch.labels:
                raise with_labels(exc, batch.labels) from exc
            raise
    planned = plan_values(batch.data, places, values, batch.runs)  # item ids ascend in enqueue order
    item_values = dict(zip(item_ids, planned, strict=True)) if len(planned) == len(item_ids) else {}
    if log is not None:
        log.enqueued(batch_id, item_ids, recovered=recovered)
        log.item_values(batch_id, item_values)
    return Job(client, batch_id=batch_id, item_ids=item_ids, queue_id=queue_id, output_nodes=output_nodes,
               labels=labels, timings=timings, journal=log, places=places, values=values, swept=batch.swept,
               name=name, item_values=item_values, uploads=uploads,
               inputs=planned_inputs(batch, item_ids, uploads))


__all__ = ["check_batch_items", "enqueue_once", "find_batch_items", "journal_failure", "send_batch", "with_labels"]
