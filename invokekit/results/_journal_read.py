"""Reading a run journal back: its records folded into one :class:`JournalEntry` per batch.

What ``invokekit resume`` works from. Lines that are not records (cut by a crash) are skipped; a
file that is missing, cannot be read, or holds no record at all is a
:class:`~invokekit.errors.JournalError` naming it, never a traceback.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from invokekit.api._items import COMPLETED, TERMINAL
from invokekit.errors import JournalError
from invokekit.results._outputs import ImageRef, ItemResult


@dataclass(frozen=True)
class StoredFile:
    """A downloaded image as the journal recorded it: where, how big, which bytes."""

    path: str
    size: int | None = None
    sha256: str | None = None
    width: int | None = None
    height: int | None = None

    def intact(self) -> bool:
        """The file is still there with exactly the bytes that were stored."""
        if self.size is None or self.sha256 is None:
            return False
        try:
            return os.path.getsize(self.path) == self.size and sha256_of(self.path) == self.sha256
        except OSError:
            return False


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
    #: item id -> its output images (``node_id``, ``image_name``), as soon as it was seen finished
    outputs: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    #: item id -> the server's error (``error_type``, ``error_message``) of a failed item
    errors: dict[int, dict[str, str | None]] = field(default_factory=dict)
    downloaded: dict[str, str] = field(default_factory=dict)  # image name -> path
    #: image name -> the file stored for it, with its size and checksum
    stored: dict[str, StoredFile] = field(default_factory=dict)
    error: str | None = None
    downloads_done: bool = False

    @property
    def terminal(self) -> bool:
        """Every item of the batch reached a final status (as far as the journal knows)."""
        return bool(self.item_ids) and all(self.statuses.get(i) in TERMINAL for i in self.item_ids or [])

    def results(self) -> list[ItemResult] | None:
        """Every item's result rebuilt from the journal (outputs by name, no server needed), or
        None when the journal does not know them all."""
        if not self.terminal or any(
            self.statuses[i] == COMPLETED and i not in self.outputs for i in self.item_ids or []
        ):
            return None
        results = []
        for item_id in self.item_ids or []:
            images = [
                ImageRef(
                    node_id=ref["node_id"],
                    node_label=self.labels.get(ref["node_id"]) or ref["node_id"],
                    image_name=ref["image_name"],
                )
                for ref in self.outputs.get(item_id, [])
            ]
            error = self.errors.get(item_id, {})
            results.append(
                ItemResult(
                    item_id=item_id,
                    status=self.statuses[item_id],
                    images=images,
                    error_type=error.get("error_type"),
                    error_message=error.get("error_message"),
                    batch_id=self.batch_id,
                    values=dict(self.item_values.get(item_id, self.values)),
                )
            )
        return results


def sha256_of(path: str | os.PathLike[str]) -> str:
    """The SHA-256 of a file, as hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_journal(path: str | os.PathLike[str]) -> list[JournalEntry]:
    """Fold the journal's records into one entry per batch, in submission order.

    Lines that are not records (a line cut by a crash, garbage) are skipped; unknown events are
    ignored. Raises :class:`JournalError` for a file that cannot be read, or that is not empty and
    holds no record at all (a binary file, another kind of file), or a record whose fields are not
    what invokekit writes.
    """
    where = Path(path)
    try:
        text = where.read_bytes().decode("utf-8", errors="replace")
    except FileNotFoundError:
        raise JournalError("no such file", path=where) from None
    except IsADirectoryError:
        raise JournalError("is a folder, not a journal file", path=where) from None
    except OSError as exc:
        raise JournalError(f"cannot be read ({exc.strerror or exc})", path=where) from None
    folded: dict[str, JournalEntry] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict) or "batch_id" not in record or "event" not in record:
            continue
        if record["event"] == "pool":  # a pool run's own record (invokekit.pool reads it), not a batch
            continue
        batch_id = str(record["batch_id"])
        try:
            _apply(folded.setdefault(batch_id, JournalEntry(batch_id=batch_id)), record)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            raise JournalError(
                f"a {record['event']!r} record invokekit did not write ({exc})", path=where, line=number
            ) from None
    if not folded and any(line.strip() for line in lines):
        raise JournalError("not an invokekit run journal (no record in it could be read)", path=where)
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
    elif event == "outputs":
        for key, item in (record.get("items") or {}).items():
            item_id = int(key)
            entry.statuses[item_id] = str(item["status"])
            entry.outputs[item_id] = [
                {"node_id": str(ref["node_id"]), "image_name": str(ref["image_name"])} for ref in item.get("images", [])
            ]
            if item.get("error_type") or item.get("error_message"):
                entry.errors[item_id] = {k: item.get(k) for k in ("error_type", "error_message")}
    elif event == "downloaded":
        name, where = str(record.get("image_name")), str(record.get("path"))
        entry.downloaded[name] = where
        entry.stored[name] = StoredFile(
            where, record.get("size"), record.get("sha256"), record.get("width"), record.get("height")
        )
    elif event == "downloads_done":
        entry.downloads_done = True
        if record.get("out_dir"):
            entry.out_dir = record.get("out_dir")


__all__ = ["JournalEntry", "StoredFile", "read_journal", "sha256_of"]
