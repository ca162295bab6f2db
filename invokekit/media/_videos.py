"""Videos that nodes output: found in a queue item's results, downloaded, checked, written atomically.

InvokeAI 6.14's video nodes (``video``, ``video_concat``, Wan's latents-to-video) output
``{"video": {"video_name"}, "width", "height", "num_frames", "fps", ...}``; the file comes from
the videos ``full`` endpoint (``client.videos.stream_full``). A download is kept only when every
announced byte came and the MP4 container is whole (its top-level boxes tile the file and a
``moov`` box is there), then it is written through a temporary file and renamed, like images.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit._files import write_bytes_atomic
from invokekit.errors import DownloadError

if TYPE_CHECKING:
    from invokekit.api import Videos


@dataclass(frozen=True, kw_only=True)
class VideoRef:
    """One output video of a queue item; ``path`` is set once it is downloaded."""

    node_id: str
    node_label: str
    video_name: str
    width: int | None = None
    height: int | None = None
    num_frames: int | None = None
    fps: float | None = None
    path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"node_id": self.node_id, "node_label": self.node_label, "video_name": self.video_name,
                "width": self.width, "height": self.height, "num_frames": self.num_frames, "fps": self.fps,
                "path": self.path}


def video_ref(node_id: str, node_label: str, output: Any) -> VideoRef | None:
    """The video one invocation output holds (``{"video": {"video_name"}, ...}``), or None."""
    video = output.get("video") if isinstance(output, Mapping) else None
    if not isinstance(video, Mapping) or not isinstance(video.get("video_name"), str):
        return None
    return VideoRef(node_id=node_id, node_label=node_label, video_name=video["video_name"],
                    width=output.get("width"), height=output.get("height"), num_frames=output.get("num_frames"),
                    fps=output.get("fps"))


def check_mp4(data: bytes, name: str) -> None:
    """Raise :class:`DownloadError` unless ``data`` is a whole ISO base media (MP4) file."""
    offset, boxes = 0, []
    while offset < len(data):
        if offset + 8 > len(data):
            raise DownloadError(f"the MP4 container breaks off at byte {offset}", image_name=name)
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size == 1 and offset + 16 <= len(data):
            size = struct.unpack(">Q", data[offset + 8:offset + 16])[0]
        elif size == 0:
            size = len(data) - offset
        if size < 8 or offset + size > len(data):
            raise DownloadError(f"the MP4 box {kind!r} at byte {offset} runs past the end (truncated)",
                                image_name=name)
        boxes.append(kind)
        offset += size
    if not boxes or boxes[0] != b"ftyp" or b"moov" not in boxes:
        raise DownloadError(f"not a playable MP4 (top-level boxes {boxes[:6]})", image_name=name)


def _safe_name(name: str) -> str:
    if not name or "/" in name or "\\" in name or ".." in name or "\x00" in name or os.path.isabs(name):
        raise DownloadError("refusing a video name that could escape the output folder", image_name=repr(name))
    return name


def download_video(videos: Videos, ref: VideoRef, out_dir: str | os.PathLike[str],
                   *, timeout: float | None = None) -> Path:
    """Download one output video into ``out_dir`` (checked, atomic); an identical file is kept."""
    import requests  # imported when used: watching a job needs no HTTP stack of its own

    name = _safe_name(ref.video_name)
    try:
        with videos.stream_full(name, timeout=timeout) as resp:
            expected = resp.headers.get("Content-Length")
            data = b"".join(resp.iter_content(1 << 16))
    except requests.RequestException as exc:
        raise DownloadError(f"the download broke off: {type(exc).__name__}: {exc}", image_name=name) from exc
    if expected is not None and expected.isdigit() and int(expected) != len(data):
        raise DownloadError(f"truncated download: got {len(data)} of {expected} bytes", image_name=name)
    check_mp4(data, name)
    target = Path(out_dir) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        if target.read_bytes() != data:
            raise DownloadError(f"{target} already exists with different content; not overwriting it",
                                image_name=name, path=target)
        return target
    return write_bytes_atomic(target, data)


__all__ = ["VideoRef", "check_mp4", "download_video", "video_ref"]
