"""One image fetched into a verified temporary file of its target folder, and placed from there.

The bytes stream into a hidden ``.invokekit-*.part`` file (never the whole body in memory) within an
overall deadline (a server trickling bytes cannot hold it forever); Pillow decodes it and its width
and height must match what the server said. Only then is it linked into place, atomically and never
over a different file. Used by :func:`~invokekit.results.download_image` and by the prefetch of an
output made while its item is still finishing (:mod:`invokekit.results._prefetch`).
"""

from __future__ import annotations

import contextlib
import filecmp
import os
import secrets
import time
from pathlib import Path
from typing import TYPE_CHECKING

from invokekit.api import Images
from invokekit.api._deadline import deadline as requests_end_by
from invokekit.errors import DownloadError, ServerError

if TYPE_CHECKING:
    from invokekit.api._transport import Transport

_CHUNK = 256 * 1024


def new_part(folder: Path) -> tuple[int, Path]:
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


def _cannot_write(folder: Path, target: Path, name: str, exc: OSError) -> DownloadError:
    return DownloadError(f"cannot write it into {str(folder)!r}: {exc.strerror or exc}", image_name=name, path=target)


def fetch_part(
    transport: Transport, name: str, folder: Path, width: int | None, height: int | None,
    timeout: float | None, deadline: float | None,
) -> tuple[Path, int, int]:
    """GET image ``name`` into a new temporary file in ``folder`` (which exists) and verify it;
    return the file, width and height. Raises :class:`DownloadError` and leaves no file."""
    target = folder / name
    try:
        fd, part = new_part(folder)
    except OSError as exc:  # read-only, not allowed
        raise _cannot_write(folder, target, name, exc) from None
    try:
        try:
            _fetch_to(fd, transport, name, timeout, deadline)
        finally:
            os.close(fd)
        width, height = _verify(part, name, width, height)
    except _WriteFailed as failed:  # full: nothing half-written stays
        assert isinstance(failed.__cause__, OSError)
        drop(part)
        raise _cannot_write(folder, target, name, failed.__cause__) from None
    except BaseException:
        drop(part)
        raise
    return part, width, height


def place(part: Path, target: Path, name: str) -> None:
    """Link the verified ``part`` into place as ``target`` (see :func:`_place`), then remove it."""
    try:
        _place(part, target, name)
    except OSError as exc:  # the link refused
        raise _cannot_write(target.parent, target, name, exc) from None
    finally:
        drop(part)


def drop(part: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        part.unlink()


__all__ = ["drop", "fetch_part", "new_part", "place"]
