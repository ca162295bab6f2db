"""Downloads of output images, verified and stored safely.

Downloads are verified (Pillow decodes them; width and height match what the server said: the
size its events or its queue item reported, else its image record, asked for only then) and
written atomically into the target folder, so a crash or a cut connection never leaves a
half-written file, and an existing different file is never overwritten.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from invokekit.api import Images
from invokekit.api._items import COMPLETED
from invokekit.errors import DownloadError, ServerError
from invokekit.results._outputs import ImageRef, ItemResult

if TYPE_CHECKING:
    from invokekit.api._transport import Transport

_CHUNK = 256 * 1024



#: the longest file name (in bytes) common file systems take (ext4, xfs, btrfs, APFS, NTFS ~255)
MAX_NAME_BYTES = 255


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
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise DownloadError(f"refusing an image name longer than {MAX_NAME_BYTES} bytes (no file system takes it)",
                            image_name=name[:40] + "...")
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
    import requests

    try:
        with Images(transport).stream_full(name, timeout=timeout) as resp:
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
    from PIL import Image  # imported on first download: ~30 ms that importing invokekit need not pay

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
    size: tuple[int | None, int | None] | None = None,
) -> tuple[Path, int, int]:
    """Download one image into ``out_dir``; return its path, width and height.

    ``size`` is the width and height the server already reported (an output's ``width`` and
    ``height``): the decoded image must have it, and the image record is not asked for.
    Raises :class:`DownloadError` (and writes nothing) when the name is unsafe, the transfer is
    cut, the bytes do not decode, the size differs from the server's, or a different file of that
    name is already there. The same file already there is fine.
    """
    name = check_image_name(image_name)
    target_name = check_image_name(filename) if filename is not None else name
    folder = Path(out_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where the folder should be, a read-only or full disk
        what = "is a file, not a folder" if folder.is_file() or isinstance(exc, FileExistsError) else exc.strerror
        raise DownloadError(f"cannot use the output folder {str(folder)!r}: {what}", image_name=name,
                            path=folder) from None
    target = folder / target_name
    width, height = size if size is not None else (None, None)
    if width is None or height is None:
        try:
            dto = Images(transport).dto(name)
        except ServerError as exc:
            raise DownloadError(f"the server has no record of it: {exc}", image_name=name) from exc
        width, height = dto.get("width"), dto.get("height")
    data = _fetch_bytes(transport, name, timeout)
    width, height = _verify(data, name, width, height)
    try:
        _place(data, target, name)
    except OSError as exc:  # read-only, full, not allowed: nothing half-written stays (see _place)
        raise DownloadError(f"cannot write it into {str(folder)!r}: {exc.strerror or exc}", image_name=name,
                            path=target) from None
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
        paths += download_result(transport, result, out_dir, on_file=on_file)
    return paths


def download_result(
    transport: Transport,
    result: ItemResult,
    out_dir: str | os.PathLike[str],
    *,
    on_file: Callable[[ItemResult, ImageRef], None] | None = None,
    filename: Callable[[ItemResult, ImageRef], str] | None = None,
) -> list[Path]:
    """Download the images of one item (none unless it completed); fill in each ``ImageRef.path``.

    The size each output reported is checked against the bytes, so no image record is read.
    ``filename`` names each file (default: the server's image name)."""
    if result.status != COMPLETED:
        return []
    paths = []
    for ref in result.images:
        target = filename(result, ref) if filename is not None else None
        path, width, height = download_image(transport, ref.image_name, out_dir, size=(ref.width, ref.height),
                                             filename=target)
        ref.path, ref.width, ref.height = path, width, height
        paths.append(path)
        if on_file is not None:
            on_file(result, ref)
    return paths


__all__ = ["check_image_name", "download_image", "download_result", "download_results"]
