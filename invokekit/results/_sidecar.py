"""A ``<image>.json`` next to each downloaded image: how it was made, so it can be made again.

It holds the values that made the image (by friendly name), the batch and item ids, the node,
the server's version, the models used (name, key, hash) and the item's timings. It is written
atomically (a temporary file renamed into place), so a crash never leaves half a sidecar.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from invokekit.results._outputs import ImageRef, ItemResult


def sidecar_path(image_path: str | os.PathLike[str]) -> Path:
    """``x.png`` -> ``x.png.json``."""
    path = Path(image_path)
    return path.with_name(path.name + ".json")


def sidecar_record(result: ItemResult, ref: ImageRef, *, batch_id: str | None, server_version: str | None,
                   models: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """What the sidecar of ``ref`` (an image of ``result``) says."""
    return {
        "values": dict(result.values),
        "batch_id": batch_id if batch_id is not None else result.batch_id,
        "item_id": result.item_id,
        "node": ref.node_label,
        "node_id": ref.node_id,
        "image_name": ref.image_name,
        "width": ref.width,
        "height": ref.height,
        "server_version": server_version,
        "models": list(models or []),
        "timings": {"created_at": result.created_at, "started_at": result.started_at,
                    "completed_at": result.completed_at},
    }


def write_sidecar(image_path: str | os.PathLike[str], record: Mapping[str, Any]) -> Path:
    """Write ``record`` as ``<image>.json`` atomically; return its path."""
    target = sidecar_path(image_path)
    fd, tmp_name = tempfile.mkstemp(prefix=".invokekit-", suffix=".json.part", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(record, fh, indent=2, default=str)
            fh.write("\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
    return target


__all__ = ["sidecar_path", "sidecar_record", "write_sidecar"]
