"""Images and videos: upload, record (DTO), the file itself, metadata.

InvokeAI serves both from twin routers (``/api/v1/images/...``, ``/api/v1/videos/...``) that
differ in names only, so both namespaces are one class with a few settings. An upload is a POST
that creates a record: it is sent once, never retried.
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ClassVar

from invokekit.api._base import Namespace, segment

if TYPE_CHECKING:
    import requests

#: what :meth:`_Media.upload` takes: a path, the bytes, or an open binary file
Upload = str | os.PathLike[str] | bytes | IO[bytes]


class _Media(Namespace):
    _resource: ClassVar[str]
    _category: ClassVar[str]  # the upload's query parameter naming the category
    _default_type: ClassVar[str]
    _default_name: ClassVar[str]

    def _i(self, name: str) -> str:
        return f"/api/v1/{self._resource}/i/{segment(name)}"

    def upload(
        self,
        file: Upload,
        *,
        filename: str | None = None,
        content_type: str | None = None,
        category: str = "user",
        is_intermediate: bool = False,
        board_id: str | None = None,
        metadata: str | None = None,
    ) -> dict[str, Any]:
        """Upload ``file`` (sent once); return the new record (DTO) with its server-side name.

        ``category`` is InvokeAI's image category ("user", "general", "control", "mask", "other");
        ``board_id`` puts it on a board; ``metadata`` is a JSON text stored with it.
        """
        name, payload = _read(file, filename or self._default_name)
        kind = content_type or mimetypes.guess_type(name)[0] or self._default_type
        params: dict[str, Any] = {self._category: category, "is_intermediate": str(bool(is_intermediate)).lower()}
        if board_id is not None:
            params["board_id"] = board_id
        body = self._t.request(
            "POST",
            f"/api/v1/{self._resource}/upload",
            params=params,
            files={"file": (name, payload, kind)},
            data={"metadata": metadata} if metadata is not None else None,
        )
        return dict(body)

    def dto(self, name: str) -> dict[str, Any]:
        """The server's record: size, board, category, URLs, ..."""
        return dict(self._t.get_json(self._i(name)))

    def delete(self, name: str) -> None:
        """Delete it from the server (its record and its file)."""
        self._t.request("DELETE", self._i(name))

    def metadata(self, name: str) -> dict[str, Any] | None:
        """The metadata stored with it (what generated it), or None."""
        body = self._t.get_json(f"{self._i(name)}/metadata")
        return dict(body) if isinstance(body, dict) else None

    def full(self, name: str, *, timeout: float | None = None) -> bytes:
        """The whole file."""
        return self._t.raw("GET", f"{self._i(name)}/full", timeout=timeout).content

    @contextmanager
    def stream_full(self, name: str, *, timeout: float | None = None) -> Iterator[requests.Response]:
        """The file as a streamed response (for downloads that check what they got)."""
        with self._t.stream(f"{self._i(name)}/full", timeout=timeout) as resp:
            yield resp


def _read(file: Upload, default_name: str) -> tuple[str, bytes]:
    if isinstance(file, bytes):
        return default_name, file
    if isinstance(file, str | os.PathLike):
        path = Path(file)
        return path.name, path.read_bytes()
    name = getattr(file, "name", None)
    return (Path(name).name if isinstance(name, str) else default_name), file.read()


class Images(_Media):
    """Images in the server's gallery: ``upload`` (``POST /api/v1/images/upload``), ``dto``,
    ``delete``, ``metadata``, ``full``, ``stream_full``."""

    _resource = "images"
    _category = "image_category"
    _default_type = "image/png"
    _default_name = "upload.png"


class Videos(_Media):
    """Videos (InvokeAI 6.14 stores MP4 only): ``upload``, ``dto``, ``delete``, ``metadata``,
    ``full``, ``stream_full``."""

    _resource = "videos"
    _category = "video_category"
    _default_type = "video/mp4"
    _default_name = "upload.mp4"


__all__ = ["Images", "Upload", "Videos"]
