"""One queue item, as every part of invokekit sees it: the status names and the one decoder.

The server describes a queue item in four shapes: the API's full item and its summary, a row of
``session_queue`` in its database and a ``queue_item_status_changed`` event. They share their keys,
so :meth:`QueueItem.from_api` reads all four. The monitors' :class:`~invokekit.monitors.StatusUpdate`
and the results' :class:`~invokekit.results.ItemResult` are queue items with more to say (who saw it
and when; the images), so they build on this class and are decoded by the same method; the journal
and :class:`~invokekit.client.Job` use the same status names.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

PENDING = "pending"
IN_PROGRESS = "in_progress"
WAITING = "waiting"
COMPLETED = "completed"
FAILED = "failed"
CANCELED = "canceled"

#: every status InvokeAI 6.14 reports for a queue item, in the order an item goes through them
STATUSES = (PENDING, IN_PROGRESS, WAITING, COMPLETED, FAILED, CANCELED)
#: statuses of an item that runs (``in_progress`` and ``waiting`` alternate while it does)
RUNNING = frozenset({IN_PROGRESS, WAITING})
#: statuses after which an item never changes again
TERMINAL = frozenset({COMPLETED, FAILED, CANCELED})


def status_stage(status: str) -> int:
    """How far an item with ``status`` has come: 0 pending, 1 running, 2 terminal.

    A status this version does not know counts as running: neither the start nor the end.
    """
    if status == PENDING:
        return 0
    return 2 if status in TERMINAL else 1


def server_time(value: Any) -> str | None:
    """A server timestamp as the database stores it (``"YYYY-MM-DD HH:MM:SS.fff"``, UTC, no zone),
    whatever the source wrote (events may use ISO 8601 with ``T`` and ``Z``)."""
    if value is None:
        return None
    return str(value).replace("T", " ").removesuffix("Z")


def parse_server_time(value: str | None) -> float | None:
    """A server timestamp as a POSIX timestamp (None when there is none or it does not parse)."""
    if not value:
        return None
    text = server_time(value.strip()) or ""
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


@dataclass(frozen=True)
class NodeOutput:
    """What one executed node of a queue item produced: its source node id (the id in the graph
    that was submitted), its result (the invocation output: ``image``, ``width``, ``height``, ...)
    and whether the node was intermediate (its images are not results)."""

    node_id: str
    result: Mapping[str, Any]
    intermediate: bool = False


def has_images(result: Any) -> bool:
    """The invocation output ``result`` holds an image (``image``, or a ``collection`` of them), or
    a video (``video``: a result too, see ``ItemResult.videos``)."""
    if not isinstance(result, Mapping):
        return False
    image, collection, video = result.get("image"), result.get("collection"), result.get("video")
    if isinstance(image, Mapping) and isinstance(image.get("image_name"), str):
        return True
    if isinstance(video, Mapping) and isinstance(video.get("video_name"), str):
        return True
    return isinstance(collection, list) and any(isinstance(e, Mapping) and "image_name" in e for e in collection)


def session_outputs(session: Any) -> tuple[NodeOutput, ...] | None:
    """The image-bearing outputs of a finished item's session (a full item's ``session``, or the
    JSON text of a ``session_queue`` row), in the order of the graph; None when there is none."""
    if isinstance(session, str):
        try:
            session = json.loads(session)
        except ValueError:
            return None
    if not isinstance(session, Mapping):
        return None
    mapping: Mapping[str, list[str]] = session.get("source_prepared_mapping") or {}
    results: Mapping[str, Any] = session.get("results") or {}
    nodes: Mapping[str, Any] = (session.get("graph") or {}).get("nodes") or {}
    found = []
    for node_id, prepared_ids in mapping.items():
        node = nodes.get(node_id)
        intermediate = bool(node.get("is_intermediate", False)) if isinstance(node, Mapping) else False
        for prepared_id in prepared_ids:
            result = results.get(prepared_id)
            if has_images(result):
                found.append(NodeOutput(node_id=str(node_id), result=result, intermediate=intermediate))
    return tuple(found)


@dataclass(frozen=True)
class QueueItem:
    """What the server says about one queue item (the fields every shape of it may carry).

    Timestamps are the server's (UTC, ``"YYYY-MM-DD HH:MM:SS.fff"``); ``status_sequence`` is the
    server's per-item status version (in full items, DB rows and events; not in summaries), which
    orders observations of the same item.
    """

    item_id: int
    status: str
    batch_id: str | None = None
    session_id: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    status_sequence: int | None = None
    #: the outputs of its nodes, when the source told them (a finished full item, a DB row with
    #: its session, the events of a proven batch); None: not known from this observation
    outputs: tuple[NodeOutput, ...] | None = field(default=None, compare=False, repr=False)

    @property
    def terminal(self) -> bool:
        """The item reached a final status (completed, failed or canceled)."""
        return self.status in TERMINAL

    @classmethod
    def from_api(cls, item: Mapping[str, Any], **extra: Any) -> Self:
        """Decode an API item or summary, a ``session_queue`` row (as a mapping) or an event.

        ``extra`` fills the fields a subclass adds (e.g. a status update's ``backend``), and may
        give ``outputs`` (else they come from the item's ``session`` when it is finished).
        """
        seq = item.get("status_sequence")
        status = str(item["status"])
        if "outputs" not in extra:
            session = item.get("session") if status in TERMINAL else None
            extra["outputs"] = session_outputs(session) if session is not None else None
        return cls(
            item_id=int(item["item_id"]),
            status=status,
            batch_id=item.get("batch_id"),
            session_id=item.get("session_id"),
            error_type=item.get("error_type"),
            error_message=item.get("error_message"),
            error_traceback=item.get("error_traceback"),
            created_at=server_time(item.get("created_at")),
            started_at=server_time(item.get("started_at")),
            completed_at=server_time(item.get("completed_at")),
            status_sequence=int(seq) if seq is not None else None,
            **extra,
        )


__all__ = [
    "CANCELED",
    "COMPLETED",
    "FAILED",
    "IN_PROGRESS",
    "PENDING",
    "RUNNING",
    "STATUSES",
    "TERMINAL",
    "WAITING",
    "NodeOutput",
    "QueueItem",
    "has_images",
    "parse_server_time",
    "server_time",
    "session_outputs",
    "status_stage",
]
