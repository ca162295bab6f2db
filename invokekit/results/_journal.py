"""A local, append-only JSONL run journal, so that a crashed kernel loses nothing.

Each submission is recorded *before* its enqueue POST (with the batch id the client picked), and
later records add the item ids, the items' outcomes with the names of their images (as soon as the
items are seen finished, before any download: images of items the server later prunes can still
be fetched by name), and each stored file with its size and SHA-256 (so a resume does not fetch
it again). Records are only ever appended, one JSON object per line, under an advisory lock on the
file, and fsynced. A crash or a full disk can cut the last line; the next record then starts on a
new line of its own, so the cut line is the only thing lost, and the reader skips it
(:mod:`invokekit.results._journal_read` folds the records back into batches).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from invokekit.api._items import TERMINAL
from invokekit.api._secrets import split_credentials
from invokekit.results._journal_read import sha256_of
from invokekit.results._outputs import ItemResult

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: appends of one short line are atomic enough
    fcntl = None  # type: ignore[assignment]


class Journal:
    """Append records about batches to one JSONL file.

    ``out_dir`` (optional) is recorded with each submission: where its images are meant to go, so
    that a resume after a crash downloads them to the same place.
    """

    def __init__(self, path: str | os.PathLike[str], *, out_dir: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path)
        self.out_dir = str(out_dir) if out_dir is not None else None

    def append(self, event: str, batch_id: str, **data: Any) -> None:
        """Append one record on a line of its own, durably (fsync), under the file's lock."""
        record = {"event": event, "batch_id": batch_id, "time": time.time(), **data}
        line = (json.dumps(record, default=str, separators=(",", ":")) + "\n").encode("ascii")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # released when the file is closed
            size = os.fstat(fd).st_size
            if size:
                os.lseek(fd, size - 1, os.SEEK_SET)
                if os.read(fd, 1) != b"\n":  # the last record was cut (crash, full disk)
                    line = b"\n" + line
            view = memoryview(line)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if not size:
            _fsync_folder(self.path.parent)  # a new file: make its name durable too

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
            url=split_credentials(url)[0],  # never a password
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

    def outputs(self, batch_id: str, results: Sequence[ItemResult]) -> None:
        """Record the outcome of every finished item of ``results``: its status, the server's
        error, and the names of its output images (what a resume needs once the server has pruned
        the items)."""
        items: dict[str, dict[str, Any]] = {}
        for r in results:
            if r.status not in TERMINAL:
                continue
            entry: dict[str, Any] = {
                "status": r.status,
                "images": [{"node_id": ref.node_id, "image_name": ref.image_name} for ref in r.images],
            }
            if r.error_type or r.error_message:
                entry["error_type"], entry["error_message"] = r.error_type, r.error_message
            items[str(r.item_id)] = entry
        if items:
            self.append("outputs", batch_id, items=items)

    def downloaded(
        self,
        batch_id: str,
        item_id: int,
        image_name: str,
        path: str | os.PathLike[str],
        *,
        width: int | None = None,
        height: int | None = None,
    ) -> None:
        """Record a stored image, with the size and SHA-256 of the file as it is now."""
        try:
            size, digest = os.path.getsize(path), sha256_of(path)
        except OSError:
            size, digest = None, None
        self.append(
            "downloaded",
            batch_id,
            item_id=item_id,
            image_name=image_name,
            path=str(path),
            size=size,
            sha256=digest,
            width=width,
            height=height,
        )

    def downloads_done(self, batch_id: str, out_dir: str | os.PathLike[str]) -> None:
        self.append("downloads_done", batch_id, out_dir=str(out_dir))


def _fsync_folder(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - some file systems refuse fsync on folders
        pass
    finally:
        os.close(fd)


__all__ = ["Journal"]
