"""Finishing a crashed pool run from its journal, across all its servers.

A pool journal holds a ``pool`` record (the servers, the number of items, each server's batch of
the whole sweep) and, before each chunk's own batch records, a ``pool_chunk`` record naming the
chunk's server, batch id and sweep indices. So a resume knows, per item, whether it was
delivered (stored intact in the output folder, or finished when there is none), is still on a
server that answers (its chunk is watched again, never sent twice), or is lost (its server is
gone, or its chunk never got there): those go back to the pool and run on the servers that answer.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from invokekit.api._items import COMPLETED, TERMINAL
from invokekit.client import Client
from invokekit.errors import InvokekitError, JournalError
from invokekit.pool._dispatch import Chunk, Dispatcher
from invokekit.pool._items import item_rows
from invokekit.pool._job import PoolJob
from invokekit.pool._share import ServerState
from invokekit.results import ImageRef, ItemResult, Journal, JournalEntry, StoredFile, read_journal
from invokekit.results._journal_read import sha256_of
from invokekit.workflow import Batch


def pool_records(path: str | os.PathLike[str]) -> tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]:
    """The journal's last ``pool`` record (None: not a pool journal) and its chunks by batch id
    (each with ``files``: image name -> the file named for it before its download)."""
    try:
        lines = Path(path).read_bytes().decode("utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise JournalError(f"cannot be read ({exc.strerror or exc})", path=Path(path)) from None
    head: dict[str, Any] | None = None
    chunks: dict[str, dict[str, Any]] = {}
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        if record.get("event") == "pool":
            head, chunks = record, {}
        elif head is None or record.get("pool_id") != head["batch_id"]:
            continue
        elif record.get("event") == "pool_chunk":
            chunks[str(record["batch_id"])] = {**record, "files": {}}
        elif record.get("event") == "pool_file" and str(record["batch_id"]) in chunks:
            chunks[str(record["batch_id"])]["files"][str(record["image_name"])] = str(record["path"])
    return head, chunks


def is_pool_journal(path: str | os.PathLike[str]) -> bool:
    return pool_records(path)[0] is not None


def rebuild_batch(record: Mapping[str, Any]) -> Batch:
    """A server's batch of the whole sweep, as the journal recorded it."""
    body = record["body"]
    ends = {k: str(body.get(k) or "invokekit") for k in ("origin", "destination")}
    batch = Batch(body["graph"], data=body.get("data") or (), runs=int(body.get("runs") or 1),
                  labels=record.get("labels") or {}, **ends)
    batch.value_places = {k: [(str(n), str(f)) for n, f in v] for k, v in (record.get("places") or {}).items()}
    batch.swept = list(record.get("swept") or [])
    batch._output_nodes = list(record.get("output_nodes") or batch.output_nodes)
    return batch


def _delivered(entry: JournalEntry, item_id: int, url: str, out_dir: str | None) -> ItemResult | None:
    """The item's result when the journal says it was delivered (images stored intact)."""
    status = entry.statuses.get(item_id)
    if status not in TERMINAL:
        return None
    images = []
    for ref in entry.outputs.get(item_id, []):
        stored = entry.stored.get(ref["image_name"])
        if status == COMPLETED and out_dir is not None and (stored is None or not stored.intact()):
            return None
        images.append(ImageRef(node_id=ref["node_id"], node_label=entry.labels.get(ref["node_id"]) or ref["node_id"],
                               image_name=ref["image_name"], path=Path(stored.path) if stored else None,
                               width=stored.width if stored else None, height=stored.height if stored else None))
    error = entry.errors.get(item_id, {})
    return ItemResult(item_id=item_id, status=status, images=images, batch_id=entry.batch_id, server=url,
                      values=dict(entry.item_values.get(item_id, entry.values)), error_type=error.get("error_type"),
                      error_message=error.get("error_message"))


def _found_files(entry: JournalEntry, files: Mapping[str, str]) -> None:
    """Files named for images whose download the crash kept out of the journal, found in place:
    stored (a download is renamed into place whole, so a file there is complete)."""
    from PIL import Image

    for image_name, path in files.items():
        if image_name not in entry.stored and os.path.isfile(path):
            try:
                with Image.open(path) as img:
                    width, height = img.size
            except Exception:  # not an image after all: fetched again (under another name)
                continue
            entry.stored[image_name] = StoredFile(path, os.path.getsize(path), sha256_of(path), width, height)


def _answers(client: Client) -> BaseException | None:
    try:
        client.app.version()
    except InvokekitError as exc:
        return exc
    return None


def resume_pool(journal: str | os.PathLike[str] | Journal, clients: Sequence[Client], *, monitor: str = "auto",
                timeout: float | None = None) -> PoolJob:
    """The :class:`PoolJob` that finishes the pool run of ``journal`` on ``clients`` (those of its servers)."""
    log = journal if isinstance(journal, Journal) else Journal(journal)
    head, chunks = pool_records(log.path)
    if head is None:
        raise JournalError("not a pool journal (no pool record in it)", path=log.path)
    out_dir = head.get("out_dir")
    log.out_dir = out_dir
    by_url = {c.url: c for c in clients}
    entries = {e.batch_id: e for e in read_journal(log.path)}
    servers: list[ServerState] = []
    skipped: dict[str, BaseException] = {}
    for url, record in (head.get("batches") or {}).items():
        client = by_url.get(url)
        problem = _answers(client) if client is not None else None
        if client is None or problem is not None:
            skipped[url] = problem or InvokekitError(f"server {url} is not in the pool given to resume")
            continue
        batch = rebuild_batch(record)
        servers.append(ServerState(client=client, batch=batch, rows=item_rows(batch)))
    for url, exc in skipped.items():
        warnings.warn(f"server {url} is left out of the resumed pool run: {exc}", stacklevel=2)
    if not servers:
        raise next(iter(skipped.values()))
    live = {s.url: s for s in servers}
    count = int(head["count"])
    dispatcher = Dispatcher(servers, count, strategy="pull", journal=log, pool_id=str(head["batch_id"]),
                            name=head.get("name"), monitor=monitor, timeout=timeout, out_dir=out_dir)
    done: dict[int, ItemResult] = {}
    adopted: list[Chunk] = []
    for batch_id, record in chunks.items():
        entry, indices, url = entries.get(batch_id), [int(i) for i in record["indices"]], str(record["url"])
        ids = sorted(entry.item_ids or []) if entry is not None else []
        if entry is None or len(ids) != len(indices):
            continue  # never enqueued (or not known to be): its items are sent again
        _found_files(entry, record["files"])
        for item_id, index in zip(ids, indices, strict=True):
            result = _delivered(entry, item_id, url, out_dir)
            if result is not None:
                done.setdefault(index, result)
        left = [i for i in indices if i not in done]
        if left and url in live:
            adopted.append(_adopt(dispatcher, live[url], entry, indices, left))
    dispatcher.resume(done, adopted)
    return PoolJob(dispatcher, skipped)


def _adopt(dispatcher: Dispatcher, server: ServerState, entry: JournalEntry, indices: list[int],
           left: list[int]) -> Chunk:
    job = server.client.job(entry.batch_id, item_ids=sorted(entry.item_ids or []), output_nodes=entry.output_nodes,
                            labels=entry.labels, journal=dispatcher.journal)
    job.places = {k: [(str(n), str(f)) for n, f in v] for k, v in entry.places.items()}
    job.values, job.swept, job.item_values = dict(entry.values), list(entry.swept), dict(entry.item_values)
    job.stored, job.name = dict(entry.stored), dispatcher.name
    chunk = Chunk(server, entry.batch_id, indices, 0.0, open=set(left))
    dispatcher.attach(chunk, job)
    return chunk


__all__ = ["is_pool_journal", "pool_records", "rebuild_batch", "resume_pool"]
