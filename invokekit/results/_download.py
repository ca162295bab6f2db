"""Downloads of output images, verified and stored safely.

A download streams into a temporary file in the target folder (never the whole body in memory),
within an overall deadline, and is verified there (Pillow decodes it; width and height match what
the server said: the size its events or its queue item reported, else its image record, asked for
only then) before it is linked into place atomically (:mod:`invokekit.results._fetch`): a crash, a
cut connection or a bad body never leaves a half-written file, and an existing different file is
never overwritten. Files get the permissions the user's umask gives any new file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from invokekit.api import Images
from invokekit.api._items import COMPLETED
from invokekit.errors import DownloadError, ServerError
from invokekit.results._fetch import drop, fetch_part, place
from invokekit.results._journal_read import StoredFile
from invokekit.results._outputs import ImageRef, ItemResult

if TYPE_CHECKING:
    from invokekit.api._transport import Transport

#: a verified temporary file made ahead (``results._prefetch``): the file, its width and height
Prefetched = tuple[Path, int, int]
#: the longest one image may take to download, start to end (seconds)
DOWNLOAD_DEADLINE = 300.0
#: the longest file name (in bytes) common file systems take (ext4, xfs, btrfs, APFS, NTFS ~255)
MAX_NAME_BYTES = 255


def check_image_name(name: str) -> str:
    """Refuse image names that could leave the output folder or confuse the file system.

    ``.``, ``..``, any path separator, an absolute path, a NUL or another control character, a
    leading ``~`` and a leading ``.`` (a hidden file, or one looking like invokekit's temporary
    ``.invokekit-*.part`` files) are refused; dots inside a name (``my..image.png``) are harmless.
    """
    bad = (
        not isinstance(name, str)
        or not name
        or name.startswith(".")
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or name.startswith("~")
        or os.path.isabs(name)
        or any(ord(ch) < 32 or ord(ch) == 127 for ch in name)
    )
    if bad:
        raise DownloadError("refusing an image name that could escape the output folder", image_name=repr(name))
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise DownloadError(f"refusing an image name longer than {MAX_NAME_BYTES} bytes (no file system takes it)",
                            image_name=name[:40] + "...")
    return name


def download_image(
    transport: Transport,
    image_name: str,
    out_dir: str | os.PathLike[str],
    *,
    filename: str | None = None,
    timeout: float | None = None,
    size: tuple[int | None, int | None] | None = None,
    deadline: float | None = DOWNLOAD_DEADLINE,
    prefetched: Prefetched | None = None,
) -> tuple[Path, int, int]:
    """Download one image into ``out_dir``; return its path, width and height.

    ``size`` is the width and height the server already reported (an output's ``width`` and
    ``height``): the decoded image must have it, and the image record is not asked for.
    ``timeout`` bounds each request (default: the transport's), ``deadline`` the whole download
    (seconds; None: no limit). Raises :class:`DownloadError` (and writes nothing) when the name is
    unsafe, the transfer is cut or too slow, the bytes do not decode, the size differs from the
    server's, or a different file of that name is already there. The same file already there is
    fine. ``prefetched`` is the image already fetched and verified into a temporary file of
    ``out_dir`` (placed from there; one of another size is dropped and the image fetched).
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
    if prefetched is not None and (prefetched[0].parent != folder or not _same_size(prefetched, width, height)):
        drop(prefetched[0])
        prefetched = None
    if prefetched is not None:
        part, width, height = prefetched
    else:
        if width is None or height is None:
            try:
                dto = Images(transport).dto(name)
            except ServerError as exc:
                raise DownloadError(f"the server has no record of it: {exc}", image_name=name) from exc
            width, height = dto.get("width"), dto.get("height")
        part, width, height = fetch_part(transport, name, folder, width, height, timeout, deadline)
    place(part, target, name)
    return target, width, height


def _same_size(prefetched: Prefetched, width: int | None, height: int | None) -> bool:
    return (width is None or prefetched[1] == width) and (height is None or prefetched[2] == height)


def _kept(stored: StoredFile | None, folder: Path) -> tuple[Path, tuple[int, int]] | None:
    """The file a journal says is already stored in ``folder`` (whatever it was named), and its
    size, if it still is there, intact."""
    if stored is None or Path(stored.path).parent.absolute() != folder.absolute() or not stored.intact():
        return None
    target = Path(stored.path)
    if stored.width is not None and stored.height is not None:
        return target, (stored.width, stored.height)
    from PIL import Image

    try:
        with Image.open(target) as img:
            return target, img.size
    except Exception:  # not readable any more: download it again
        return None


def download_results(
    transport: Transport,
    results: Sequence[ItemResult],
    out_dir: str | os.PathLike[str],
    *,
    on_file: Callable[[ItemResult, ImageRef], None] | None = None,
    stored: Mapping[str, StoredFile] | None = None,
) -> list[Path]:
    """Download every image of the completed ``results``; fill in each ``ImageRef.path``."""
    paths: list[Path] = []
    for result in results:
        paths += download_result(transport, result, out_dir, on_file=on_file, stored=stored)
    return paths


def download_result(
    transport: Transport,
    result: ItemResult,
    out_dir: str | os.PathLike[str],
    *,
    on_file: Callable[[ItemResult, ImageRef], None] | None = None,
    filename: Callable[[ItemResult, ImageRef], str] | None = None,
    stored: Mapping[str, StoredFile] | None = None,
    prefetched: Callable[[str, Path], Prefetched | None] | None = None,
) -> list[Path]:
    """Download the images of one item (none unless it completed); fill in each ``ImageRef.path``.

    The size each output reported is checked against the bytes, so no image record is read.
    ``filename`` names each file (default: the server's image name). ``stored`` (image name ->
    file, from a journal) names images already stored: one still there with the recorded size
    and checksum is kept, not fetched again (nor told to ``on_file``). ``prefetched(image name,
    folder)`` gives an image fetched ahead, if any."""
    if result.status != COMPLETED:
        return []
    paths = []
    known = stored or {}
    for ref in result.images:
        kept = _kept(known.get(ref.image_name), Path(out_dir))
        if kept is not None:  # before naming it: a name given now could differ from the first one
            ref.path, (ref.width, ref.height) = kept
            paths.append(kept[0])
            continue
        name = filename(result, ref) if filename is not None else None
        ahead = prefetched(ref.image_name, Path(out_dir)) if prefetched is not None else None
        path, width, height = download_image(transport, ref.image_name, out_dir, size=(ref.width, ref.height),
                                             filename=name, prefetched=ahead)
        ref.path, ref.width, ref.height = path, width, height
        paths.append(path)
        if on_file is not None:
            on_file(result, ref)
    return paths


__all__ = ["DOWNLOAD_DEADLINE", "check_image_name", "download_image", "download_result", "download_results"]
