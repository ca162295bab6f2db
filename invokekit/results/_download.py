"""Downloads of output images, verified and stored safely.

A download streams into a temporary file in the target folder (never the whole body in memory),
within an overall deadline (a server trickling bytes cannot hold it forever), and is verified
there (Pillow decodes it; width and height match what the server said: the size its events or its
queue item reported, else its image record, asked for only then) before it is linked into place
atomically: a crash, a cut connection or a bad body never leaves a half-written file, and an
existing different file is never overwritten. Files get the permissions the user's umask gives
any new file.
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from invokekit.api import Images
from invokekit.api._deadline import deadline as requests_end_by
from invokekit.api._items import COMPLETED
from invokekit.errors import DownloadError, ServerError
from invokekit.results._journal_read import StoredFile
from invokekit.results._outputs import ImageRef, ItemResult

if TYPE_CHECKING:
    from invokekit.api._transport import Transport

_CHUNK = 256 * 1024
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


def _new_part(folder: Path) -> tuple[int, Path]:
    """A new, empty temporary file in ``folder``, created with mode 0666 so the umask applies
    (``tempfile.mkstemp`` would make it 0600 whatever the umask)."""
    for _ in range(100):
        path = folder / f".invokekit-{secrets.token_hex(8)}.part"
        try:
            return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), path
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue
    raise DownloadError(f"cannot create a temporary file in {folder}")  # pragma: no cover


class _WriteFailed(Exception):
    """Writing the temporary file failed (a full or read-only disk), as opposed to the transfer;
    the ``OSError`` is its ``__cause__``."""


def _fetch_to(part: int, transport: Transport, name: str, timeout: float | None, seconds: float | None) -> None:
    """GET the full image into the open file ``part``, insisting on every byte the server
    announced, within ``seconds`` (None: no overall limit). Raises :class:`_WriteFailed` when the
    disk refuses the bytes."""
    import requests  # imported on first download: importing invokekit need not pay for them
    import urllib3

    ends = None if seconds is None else time.monotonic() + seconds
    got = 0
    try:
        with requests_end_by(seconds), Images(transport).stream_full(name, timeout=timeout) as resp:
            expected = resp.headers.get("Content-Length")
            while True:
                # one read from the socket at most, so the deadline is looked at between reads
                chunk = resp.raw.read1(_CHUNK, decode_content=True)
                if not chunk:
                    break
                _write(part, chunk)
                got += len(chunk)
                if ends is not None and time.monotonic() > ends:
                    raise DownloadError(f"not finished after {seconds:g} s ({got} bytes so far)", image_name=name)
            _write(part, b"", sync=True)
    except ServerError as exc:
        if ends is not None and time.monotonic() > ends:
            raise DownloadError(f"not finished after {seconds:g} s: {exc}", image_name=name) from exc
        raise DownloadError(f"the server did not deliver it: {exc}", image_name=name) from exc
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        late = ends is not None and time.monotonic() > ends
        what = f"not finished after {seconds:g} s" if late else "the download broke off"
        raise DownloadError(f"{what}: {type(exc).__name__}: {exc}", image_name=name) from exc
    if expected is not None and expected.isdigit() and int(expected) != got:
        raise DownloadError(f"truncated download: got {got} of {expected} bytes", image_name=name)


def _write(fd: int, data: bytes, *, sync: bool = False) -> None:
    """Write all of ``data`` to ``fd`` unbuffered (a full disk shows here, not at a later close)."""
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    except OSError as exc:
        raise _WriteFailed from exc


def _verify(path: Path, name: str, width: int | None, height: int | None) -> tuple[int, int]:
    from PIL import Image  # imported on first download: ~30 ms that importing invokekit need not pay

    try:
        with Image.open(path) as img:
            img.load()
            size = img.size
    except Exception as exc:  # Pillow raises many types for broken files
        raise DownloadError(f"the downloaded bytes are not a readable image ({exc})", image_name=name) from exc
    if (width is not None and size[0] != width) or (height is not None and size[1] != height):
        raise DownloadError(
            f"image is {size[0]}x{size[1]} but the server's record says {width}x{height}", image_name=name
        )
    return size


def _place(part: Path, target: Path, name: str) -> None:
    """Link the verified ``part`` to ``target`` atomically, never replacing a different file there
    (the same bytes already there are fine)."""
    try:
        os.link(part, target)  # atomic, and fails if the target exists
    except FileExistsError:
        _refuse_if_different(target, part, name)
    except OSError:  # file systems without hard links
        if target.exists():
            _refuse_if_different(target, part, name)
        else:
            os.replace(part, target)


def _refuse_if_different(target: Path, part: Path, name: str) -> None:
    try:
        same = filecmp.cmp(target, part, shallow=False)
    except OSError:
        same = False
    if not same:
        raise DownloadError(
            f"{target} already exists with different content; not overwriting it", image_name=name, path=target
        ) from None


def download_image(
    transport: Transport,
    image_name: str,
    out_dir: str | os.PathLike[str],
    *,
    filename: str | None = None,
    timeout: float | None = None,
    size: tuple[int | None, int | None] | None = None,
    deadline: float | None = DOWNLOAD_DEADLINE,
) -> tuple[Path, int, int]:
    """Download one image into ``out_dir``; return its path, width and height.

    ``size`` is the width and height the server already reported (an output's ``width`` and
    ``height``): the decoded image must have it, and the image record is not asked for.
    ``timeout`` bounds each request (default: the transport's), ``deadline`` the whole download
    (seconds; None: no limit). Raises :class:`DownloadError` (and writes nothing) when the name is
    unsafe, the transfer is cut or too slow, the bytes do not decode, the size differs from the
    server's, or a different file of that name is already there. The same file already there is
    fine.
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
    try:
        fd, part = _new_part(folder)
    except OSError as exc:  # read-only, not allowed
        raise _cannot_write(folder, target, name, exc) from None
    try:
        try:
            _fetch_to(fd, transport, name, timeout, deadline)
        finally:
            os.close(fd)
        width, height = _verify(part, name, width, height)
        _place(part, target, name)
    except _WriteFailed as failed:  # full: nothing half-written stays (the part is removed below)
        assert isinstance(failed.__cause__, OSError)
        raise _cannot_write(folder, target, name, failed.__cause__) from None
    except OSError as exc:  # the link refused
        raise _cannot_write(folder, target, name, exc) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            part.unlink()
    return target, width, height


def _cannot_write(folder: Path, target: Path, name: str, exc: OSError) -> DownloadError:
    return DownloadError(f"cannot write it into {str(folder)!r}: {exc.strerror or exc}", image_name=name, path=target)


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
) -> list[Path]:
    """Download the images of one item (none unless it completed); fill in each ``ImageRef.path``.

    The size each output reported is checked against the bytes, so no image record is read.
    ``filename`` names each file (default: the server's image name). ``stored`` (image name ->
    file, from a journal) names images already stored: one still there with the recorded size
    and checksum is kept, not fetched again (nor told to ``on_file``)."""
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
        path, width, height = download_image(transport, ref.image_name, out_dir, size=(ref.width, ref.height),
                                             filename=name)
        ref.path, ref.width, ref.height = path, width, height
        paths.append(path)
        if on_file is not None:
            on_file(result, ref)
    return paths


__all__ = ["DOWNLOAD_DEADLINE", "check_image_name", "download_image", "download_result", "download_results"]
