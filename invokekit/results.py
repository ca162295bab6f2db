"""From a finished queue item to the images of the workflow's own output nodes, stored safely.

The images of a run are found in the item's own session: each source node of the graph maps to
one or more prepared (executed) node ids through ``session.source_prepared_mapping``, and each
prepared id to its output in ``session.results``. Only the output nodes count (never "the newest
image on the server", which could belong to somebody else's job).

Downloads are verified (Pillow decodes them; width and height match the server's image record)
and written atomically into the target folder, so a crash or a cut connection never leaves a
half-written file, and an existing different file is never overwritten.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from PIL import Image

from invokekit.errors import DownloadError, ServerError

if TYPE_CHECKING:  # no runtime import: the client package imports this module
    from invokekit.client._transport import Transport

_CHUNK = 256 * 1024


@dataclass
class ImageRef:
    """One image produced by an output node of a queue item."""

    node_id: str
    node_label: str
    image_name: str
    width: int | None = None
    height: int | None = None
    path: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "node_label": self.node_label,
            "image_name": self.image_name,
            "width": self.width,
            "height": self.height,
            "path": str(self.path) if self.path is not None else None,
        }


@dataclass
class ItemResult:
    """The outcome of one queue item: status, the output images, and the server's error if any."""

    item_id: int
    status: str
    images: list[ImageRef] = field(default_factory=list)
    error_type: str | None = None
    error_message: str | None = None
    error_traceback: str | None = None
    created_at: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    batch_id: str | None = None
    session_id: str | None = None

    def by_node(self) -> dict[str, list[ImageRef]]:
        """Images keyed by source node id, and also by node label where the label differs."""
        out: dict[str, list[ImageRef]] = {}
        for ref in self.images:
            out.setdefault(ref.node_id, []).append(ref)
        for ref in self.images:
            if ref.node_label != ref.node_id and ref.node_label not in {r.node_id for r in self.images}:
                out.setdefault(ref.node_label, []).append(ref)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "status": self.status,
            "images": [ref.as_dict() for ref in self.images],
            "error_type": self.error_type,
            "error_message": self.error_message,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
        }


def default_output_nodes(graph: Mapping[str, Any]) -> list[str]:
    """Nodes of an API graph that keep their results (``is_intermediate`` false, the default)."""
    nodes = graph.get("nodes") or {}
    return [node_id for node_id, node in nodes.items() if not node.get("is_intermediate", False)]


def _images_of(output: Any) -> list[dict[str, Any]]:
    """The image fields of one invocation output (``image``; or a ``collection`` of images)."""
    if not isinstance(output, Mapping):
        return []
    found: list[dict[str, Any]] = []
    image = output.get("image")
    if isinstance(image, Mapping) and isinstance(image.get("image_name"), str):
        found.append({"image_name": image["image_name"], "width": output.get("width"), "height": output.get("height")})
    collection = output.get("collection")
    if isinstance(collection, list):
        for entry in collection:
            if isinstance(entry, Mapping) and isinstance(entry.get("image_name"), str):
                found.append({"image_name": entry["image_name"], "width": None, "height": None})
    return found


def item_result(
    item: Mapping[str, Any],
    *,
    output_nodes: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> ItemResult:
    """Build the :class:`ItemResult` of a queue item (``GET /api/v1/queue/{q}/i/{id}``).

    ``output_nodes`` are the source node ids whose images are the results (default: every node of
    the session graph that is not intermediate); ``labels`` maps node ids to friendly labels.
    """
    labels = labels or {}
    result = ItemResult(
        item_id=int(item["item_id"]),
        status=str(item.get("status")),
        error_type=item.get("error_type"),
        error_message=item.get("error_message"),
        error_traceback=item.get("error_traceback"),
        created_at=item.get("created_at"),
        started_at=item.get("started_at"),
        completed_at=item.get("completed_at"),
        batch_id=item.get("batch_id"),
        session_id=item.get("session_id"),
    )
    session = item.get("session") or {}
    mapping: Mapping[str, list[str]] = session.get("source_prepared_mapping") or {}
    results: Mapping[str, Any] = session.get("results") or {}
    wanted = list(output_nodes) if output_nodes is not None else default_output_nodes(session.get("graph") or {})
    for node_id in wanted:
        for prepared_id in mapping.get(node_id, []):
            for image in _images_of(results.get(prepared_id)):
                result.images.append(
                    ImageRef(
                        node_id=node_id,
                        node_label=labels.get(node_id) or node_id,
                        image_name=image["image_name"],
                        width=image["width"],
                        height=image["height"],
                    )
                )
    return result


# --- downloads -------------------------------------------------------------------------------


def check_image_name(name: str) -> str:
    """Refuse image names that could leave the output folder or confuse the file system."""
    bad = (
        not isinstance(name, str)
        or not name
        or name in (".", "..")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or ".." in name
        or name.startswith("~")
        or os.path.isabs(name)
        or any(ord(ch) < 32 for ch in name)
    )
    if bad:
        raise DownloadError("refusing an image name that could escape the output folder", image_name=repr(name))
    return name


def _refuse_if_different(target: Path, data: bytes, name: str) -> None:
    """An existing file with these very bytes is fine; any other is never overwritten."""
    if not _same_content(target, data):
        raise DownloadError(
            f"{target} already exists with different content; not overwriting it", image_name=name, path=target
        ) from None


def _same_content(path: Path, data: bytes) -> bool:
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def _fetch_bytes(transport: Transport, name: str, timeout: float | None) -> bytes:
    """GET the full image, insisting on every byte the server announced."""
    try:
        with transport.stream(f"/api/v1/images/i/{quote(name, safe='')}/full", timeout=timeout) as resp:
            expected = resp.headers.get("Content-Length")
            buf = io.BytesIO()
            for chunk in resp.iter_content(_CHUNK):
                buf.write(chunk)
    except ServerError as exc:
        raise DownloadError(f"the server did not deliver it: {exc}", image_name=name) from exc
    except (requests.RequestException, OSError) as exc:
        raise DownloadError(f"the download broke off: {type(exc).__name__}: {exc}", image_name=name) from exc
    data = buf.getvalue()
    if expected is not None and expected.isdigit() and int(expected) != len(data):
        raise DownloadError(f"truncated download: got {len(data)} of {expected} bytes", image_name=name)
    return data


def _verify(data: bytes, name: str, width: int | None, height: int | None) -> tuple[int, int]:
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            size = img.size
    except Exception as exc:  # Pillow raises many types for broken files
        raise DownloadError(f"the downloaded bytes are not a readable image ({exc})", image_name=name) from exc
    if (width is not None and size[0] != width) or (height is not None and size[1] != height):
        raise DownloadError(
            f"image is {size[0]}x{size[1]} but the server's record says {width}x{height}", image_name=name
        )
    return size


def _place(data: bytes, target: Path, name: str) -> None:
    """Write ``data`` to ``target`` atomically, never replacing a different existing file."""
    fd, tmp_name = tempfile.mkstemp(prefix=".invokekit-", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, target)  # atomic and fails if the target exists
        except FileExistsError:
            _refuse_if_different(target, data, name)
        except OSError:  # file systems without hard links
            if target.exists():
                _refuse_if_different(target, data, name)
            else:
                os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def download_image(
    transport: Transport,
    image_name: str,
    out_dir: str | os.PathLike[str],
    *,
    filename: str | None = None,
    timeout: float | None = None,
) -> tuple[Path, int, int]:
    """Download one image into ``out_dir``; return its path, width and height.

    Raises :class:`DownloadError` (and writes nothing) when the name is unsafe, the transfer is
    cut, the bytes do not decode, the size differs from the server's record, or a different file
    of that name is already there. The same file already there is fine.
    """
    name = check_image_name(image_name)
    target_name = check_image_name(filename) if filename is not None else name
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / target_name
    try:
        dto = transport.get_json(f"/api/v1/images/i/{quote(name, safe='')}")
    except ServerError as exc:
        raise DownloadError(f"the server has no record of it: {exc}", image_name=name) from exc
    data = _fetch_bytes(transport, name, timeout)
    width, height = _verify(data, name, dto.get("width"), dto.get("height"))
    _place(data, target, name)
    return target, width, height


def download_results(
    transport: Transport,
    results: Sequence[ItemResult],
    out_dir: str | os.PathLike[str],
    *,
    on_file: Callable[[ItemResult, ImageRef], None] | None = None,
) -> list[Path]:
    """Download every image of the completed ``results``; fill in each ``ImageRef.path``."""
    paths: list[Path] = []
    for result in results:
        if result.status != "completed":
            continue
        for ref in result.images:
            path, width, height = download_image(transport, ref.image_name, out_dir)
            ref.path, ref.width, ref.height = path, width, height
            paths.append(path)
            if on_file is not None:
                on_file(result, ref)
    return paths


__all__ = [
    "ImageRef",
    "ItemResult",
    "check_image_name",
    "default_output_nodes",
    "download_image",
    "download_results",
    "item_result",
]
