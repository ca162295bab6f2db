"""A local, append-only JSONL run journal, so that a crashed kernel loses nothing.

Each submission is recorded *before* its enqueue POST (with the batch id the client picked), and
later records add the item ids, statuses and downloaded files. Records are only ever appended
(one JSON object per line, flushed and fsynced, under an advisory lock on the file), so a crash can at worst cut
the last line, which the reader skips. :func:`read_journal` folds the records into one
:class:`JournalEntry` per batch, which is what ``invokekit resume`` works from.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from invokekit.api._items import TERMINAL

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: appends of one short line are atomic enough
    fcntl = None  # type: ignore[assignment]


@dataclass
class JournalEntry:
    """What the journal knows about one batch."""

    batch_id: str
    url: str | None = None
    queue_id: str = "default"
    output_nodes: list[str] | None = None
    labels: dict[str, str] = field(default_factory=dict)
    #: name -> [[node_id, field], ...] and the set values (what names each item's values)
    places: dict[str, list[list[str]]] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)
    swept: list[str] = field(default_factory=list)
    item_values: dict[int, dict[str, Any]] = field(default_factory=dict)
    out_dir: str | None = None
    submitted_at: float | None = None
    item_ids: list[int] | None = None
    statuses: dict[int, str] = field(default_factory=dict)
    downloaded: dict[str, str] = field(default_factory=dict)  # image name -> path
    error: str | None = None
    downloads_done: bool = False

    @property
    def terminal(self) -> bool:
        """Every item of the batch reached a final status (as far as the journal knows)."""
        return bool(self.item_ids) and all(self.statuses.get(i) in TERMINAL for i in self.item_ids or [])


class Journal:
    """Append records about batches to one JSONL file.

    ``out_dir`` (optional) is recorded with each submission: where its images are meant to go, so
    that a resume after a crash downloads them to the same place.
    """

    def __init__(self, path: str | os.PathLike[str], *, out_dir: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path)
        self.out_dir = str(out_dir) if out_dir is not None else None

    def append(self, event: str, batch_id: str, **data: Any) -> None:
        record = {"event": event, "batch_id": batch_id, "time": time.time(), **data}
        line = json.dumps(record, default=str, separators=(",", ":")) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as fh:
            if fcntl is not None:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)  # released when the file is closed
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    # the records invokekit writes ---------------------------------------------------------------

    def submitted(
        self,
        batch_id: str,
        *,
        url: str,
        queue_id: str,
        output_nodes: Sequence[str] | None,
        labels: Mapping[str, str],
        out_dir: str | None = None,
        places: Mapping[str, Sequence[Sequence[str]]] | None = None,
        values: Mapping[str, Any] | None = None,
        swept: Sequence[str] = (),
    ) -> None:
        self.append(
            "submit",
            batch_id,
            url=url,
            queue_id=queue_id,
            output_nodes=list(output_nodes) if output_nodes is not None else None,
            labels=dict(labels),
            out_dir=out_dir if out_dir is not None else self.out_dir,
            places={k: [list(p) for p in v] for k, v in (places or {}).items()},
            values=dict(values or {}),
            swept=list(swept),
        )

    def enqueued(self, batch_id: str, item_ids: Sequence[int], *, recovered: bool = False) -> None:
        self.append("enqueued", batch_id, item_ids=list(item_ids), recovered=recovered)

    def failed_submit(self, batch_id: str, error: str) -> None:
        self.append("submit_failed", batch_id, error=error)

    def statuses(self, batch_id: str, statuses: Mapping[int, str]) -> None:
        self.append("status", batch_id, statuses={str(k): v for k, v in statuses.items()})

    def item_values(self, batch_id: str, values: Mapping[int, Mapping[str, Any]]) -> None:
        """The values that made each item (by friendly name), once the items are done."""
        self.append("values", batch_id, values={str(k): dict(v) for k, v in values.items()})

    def downloaded(self, batch_id: str, item_id: int, image_name: str, path: str | os.PathLike[str]) -> None:
        self.append("downloaded", batch_id, item_id=item_id, image_name=image_name, path=str(path))

    def downloads_done(self, batch_id: str, out_dir: str | os.PathLike[str]) -> None:
        self.append("downloads_done", batch_id, out_dir=str(out_dir))


def read_journal(path: str | os.PathLike[str]) -> list[JournalEntry]:
    """Fold the journal's records into one entry per batch, in submission order.

    A cut last line (crash mid-write) is skipped; unknown events are ignored.
    """
    folded: dict[str, JournalEntry] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if not isinstance(record, dict) or "batch_id" not in record:
                continue
            batch_id = str(record["batch_id"])
            _apply(folded.setdefault(batch_id, JournalEntry(batch_id=batch_id)), record)
    return list(folded.values())


def _apply(entry: JournalEntry, record: Mapping[str, Any]) -> None:
    event = record.get("event")
    if event == "submit":
        entry.url = record.get("url")
        entry.queue_id = record.get("queue_id") or "default"
        entry.output_nodes = record.get("output_nodes")
        entry.labels = dict(record.get("labels") or {})
        entry.out_dir = record.get("out_dir")
        entry.places = dict(record.get("places") or {})
        entry.values = dict(record.get("values") or {})
        entry.swept = list(record.get("swept") or [])
        entry.submitted_at = record.get("time")
    elif event == "values":
        entry.item_values.update({int(k): dict(v) for k, v in (record.get("values") or {}).items()})
    elif event == "enqueued":
        entry.item_ids = [int(i) for i in record.get("item_ids") or []]
        entry.error = None
    elif event == "submit_failed":
        entry.error = record.get("error")
    elif event == "status":
        entry.statuses.update({int(k): v for k, v in (record.get("statuses") or {}).items()})
    elif event == "downloaded":
        entry.downloaded[str(record.get("image_name"))] = str(record.get("path"))
    elif event == "downloads_done":
        entry.downloads_done = True
        if record.get("out_dir"):
            entry.out_dir = record.get("out_dir")


__all__ = ["Journal", "JournalEntry", "read_journal"]
