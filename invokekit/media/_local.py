"""Local images and videos, checked and fingerprinted before anything is sent.

A workflow's image field holds ``{"image_name": ...}``: the name of an image the server has. A
local file, a PIL image, a numpy array or bytes given instead becomes a :class:`LocalMedia`, a
``str`` (so every check, copy and conversion treats it as the image name it will become) that
also knows its content and its SHA-256. :func:`invokekit.media.upload_media` swaps it for the
server's name at submit time. It is checked here, when it is set: a missing file, a file Pillow
cannot open, or a video where an image goes is refused before anything is uploaded or sent.
"""

from __future__ import annotations

import glob
import hashlib
import io
import os
from pathlib import Path
from typing import Any, Literal

from PIL import Image, UnidentifiedImageError

from invokekit.errors import MediaError

MediaKind = Literal["image", "video"]

#: what InvokeAI 6.14 stores as videos (MP4); ``ftyp`` is the ISO base media file signature
VIDEO_SUFFIXES = frozenset({".mp4", ".m4v", ".mov"})
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"})


class LocalMedia(str):
    """A local image or video standing in for the server-side name it gets when uploaded.

    The string is the file's name (what reprs and tables show); :attr:`sha256` identifies the
    content (an upload is sent once per content and server); :meth:`read` gives the bytes.
    """

    kind: MediaKind
    sha256: str
    path: Path | None
    filename: str
    _data: bytes | None

    def __new__(cls, *, kind: MediaKind, filename: str, sha256: str, path: Path | None = None,
                data: bytes | None = None) -> LocalMedia:
        self = super().__new__(cls, str(path) if path is not None else filename)
        self.kind, self.filename, self.sha256, self.path, self._data = kind, filename, sha256, path, data
        return self

    def read(self) -> bytes:
        """The content to upload."""
        return self._data if self._data is not None else Path(self.path or "").read_bytes()

    @property
    def source(self) -> str:
        """Where it came from, as a person names it: the path, or ``<bytes sha256:...>``."""
        return str(self.path) if self.path is not None else f"<{self.filename} sha256:{self.sha256[:12]}>"

    def __deepcopy__(self, memo: dict[int, Any]) -> LocalMedia:
        return self  # immutable: copies of a workflow share it

    def __copy__(self) -> LocalMedia:
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.kind, self.filename, self.sha256, self.path, self._data))


def _rebuild(kind: MediaKind, filename: str, sha256: str, path: Path | None, data: bytes | None) -> LocalMedia:
    return LocalMedia(kind=kind, filename=filename, sha256=sha256, path=path, data=data)


def _is_video_bytes(head: bytes) -> bool:
    return head[4:8] == b"ftyp" or head[:4] == b"\x1aE\xdf\xa3"  # ISO BMFF (mp4/mov), Matroska/WebM


def _check_image(data: bytes | Path, where: dict[str, Any], shown: str) -> None:
    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as im:
            im.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"{shown} is not an image Pillow can read ({exc})", **where) from None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _encode(value: Any) -> bytes | None:
    """PNG bytes of a PIL image or a numpy array (``HxW``, ``HxWx3``, ``HxWx4``); None for others."""
    if isinstance(value, Image.Image):
        image = value
    elif type(value).__module__ == "numpy" and hasattr(value, "shape"):
        import numpy as np

        array = np.asarray(value)
        if array.dtype != np.uint8:
            array = np.clip(array * 255 if array.dtype.kind == "f" else array, 0, 255).astype(np.uint8)
        image = Image.fromarray(array)
    else:
        return None
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def is_local_value(value: Any) -> bool:
    """Whether ``value`` is something :func:`local_media` turns into an upload."""
    return isinstance(value, os.PathLike | bytes | Image.Image) or (
        type(value).__module__ == "numpy" and hasattr(value, "shape"))


def local_media(value: Any, kind: MediaKind, **where: Any) -> LocalMedia:
    """``value`` (a path, bytes, a PIL image or a numpy array) as a checked :class:`LocalMedia`.

    ``where`` (``node_id``, ``node_label``, ``field``, ``file``) names the field in errors.
    """
    if isinstance(value, LocalMedia):
        if value.kind != kind:
            raise MediaError(f"{value.source} is a {value.kind}; this field takes a {kind}", **where)
        return value
    encoded = _encode(value)
    if encoded is not None:
        if kind == "video":
            raise MediaError("an image was given to a video field", **where)
        return LocalMedia(kind=kind, filename="image.png", sha256=hashlib.sha256(encoded).hexdigest(), data=encoded)
    if isinstance(value, bytes):
        head, shown = value[:16], f"the given {len(value)} bytes"
        name = "video.mp4" if _is_video_bytes(head) else "image.png"
        data: bytes | Path = value
    elif isinstance(value, str | os.PathLike):
        path = Path(value).expanduser()
        if not path.is_file():
            why = "is a folder (a folder or glob is for --sweep)" if path.is_dir() else "does not exist"
            raise MediaError(f"{kind} file {str(value)!r} {why}", **where)
        with path.open("rb") as fh:
            head = fh.read(16)
        shown, name, data = f"file {str(path)!r}", path.name, path.resolve()
    else:
        raise MediaError(f"cannot use a {type(value).__name__} as a {kind}: give a path, bytes, a PIL image or "
                         "a numpy array, or a server-side name", **where)
    video = _is_video_bytes(head)
    if kind == "image":
        if video:
            raise MediaError(f"{shown} is a video; this field takes an image", **where)
        _check_image(data, where, shown)
    elif not video:
        raise MediaError(f"{shown} is not an MP4 video (InvokeAI stores MP4 only)", **where)
    if isinstance(data, bytes):
        return LocalMedia(kind=kind, filename=name, sha256=hashlib.sha256(data).hexdigest(), data=data)
    return LocalMedia(kind=kind, filename=name, sha256=_sha256_file(data), path=data)


def expand_paths(value: Any, kind: MediaKind) -> list[Any]:
    """A folder or a glob pattern as its image (or video) files, sorted; anything else as itself."""
    if not isinstance(value, str | os.PathLike) or isinstance(value, LocalMedia):
        return [value]
    text = os.fspath(value)
    suffixes = IMAGE_SUFFIXES if kind == "image" else VIDEO_SUFFIXES
    path = Path(text).expanduser()
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
    if any(c in text for c in "*?["):
        return [Path(p) for p in sorted(glob.glob(os.path.expanduser(text))) if Path(p).is_file()]
    return [value]


__all__ = ["IMAGE_SUFFIXES", "VIDEO_SUFFIXES", "LocalMedia", "MediaError", "MediaKind", "expand_paths",
           "is_local_value", "local_media"]
