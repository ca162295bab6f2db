"""Uploading the local images and videos of a batch, once per content and server.

At submit time every :class:`LocalMedia` in the batch (its graph, its batch data, the editor
workflow it embeds) is swapped for the name the server gave it. Each content is uploaded once:
an on-disk map per server (``<cache>/uploads/<server>.json``: sha256 -> name) remembers what the
server has, and is checked, not trusted (the record is asked for; a deleted image is uploaded
again). Uploads are POSTs (never retried) run on a small pool with a progress bar.

Inputs are uploaded as InvokeAI's UI uploads node images (category ``user``) but marked
intermediate, so they stay out of the gallery (and out of the user's boards unless one is given).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit._files import write_text_atomic
from invokekit.errors import ServerError
from invokekit.media._local import LocalMedia

if TYPE_CHECKING:
    from invokekit.client._client import Client
    from invokekit.results import Timings
    from invokekit.workflow import Batch

#: at most this many uploads at once (the server is one process; more only queue up there)
UPLOAD_WORKERS = 4


def _default_dir() -> Path:
    from invokekit.sandbox._layout import default_cache_dir

    return default_cache_dir() / "uploads"


class UploadCache:
    """What one server already has: ``"<kind>:<sha256>"`` -> server-side name, kept on disk."""

    def __init__(self, server_url: str, folder: str | Path | None = None) -> None:
        key = hashlib.sha256(server_url.rstrip("/").encode()).hexdigest()[:16]
        self.path = Path(folder) if folder is not None else _default_dir()
        self.path = self.path / f"{key}.json"
        self._lock = threading.Lock()
        try:
            loaded = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            loaded = {}
        self._names: dict[str, str] = {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}

    def get(self, media: LocalMedia) -> str | None:
        return self._names.get(f"{media.kind}:{media.sha256}")

    def put(self, media: LocalMedia, name: str) -> None:
        with self._lock:
            self._names[f"{media.kind}:{media.sha256}"] = name
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(self._names, indent=0, sort_keys=True))

    def forget(self, media: LocalMedia) -> None:
        with self._lock:
            self._names.pop(f"{media.kind}:{media.sha256}", None)


def find_media(tree: Any) -> Iterator[LocalMedia]:
    """Every :class:`LocalMedia` in a JSON-like tree."""
    if isinstance(tree, LocalMedia):
        yield tree
    elif isinstance(tree, Mapping):
        for value in tree.values():
            yield from find_media(value)
    elif isinstance(tree, list | tuple):
        for value in tree:
            yield from find_media(value)


def find_media_in(batch: Batch) -> list[LocalMedia]:
    """The local media a batch still holds (its graph, batch data and embedded workflow)."""
    return list(find_media(batch._body))


def _replace(tree: Any, names: Mapping[str, str]) -> Any:
    if isinstance(tree, LocalMedia):
        return names[tree.sha256]
    if isinstance(tree, dict):
        for key, value in tree.items():
            tree[key] = _replace(value, names)
    elif isinstance(tree, list):
        tree[:] = [_replace(v, names) for v in tree]
    return tree


def _exists(client: Client, media: LocalMedia, name: str) -> bool:
    namespace = client.images if media.kind == "image" else client.videos
    try:
        namespace.dto(name)
    except ServerError as exc:
        if exc.status is not None and 400 <= exc.status < 500:
            return False
        raise
    return True


def upload_one(client: Client, media: LocalMedia, cache: UploadCache, *, board_id: str | None = None) -> str:
    """The server-side name of ``media``: the remembered one if the server still has it, else uploaded."""
    known = cache.get(media)
    if known is not None and _exists(client, media, known):
        return known
    namespace = client.images if media.kind == "image" else client.videos
    record = namespace.upload(media.read(), filename=media.filename, category="user", is_intermediate=True,
                              board_id=board_id)
    name = str(record[f"{media.kind}_name"])
    cache.put(media, name)
    return name


def upload_media(
    client: Client,
    batch: Batch,
    *,
    board_id: str | None = None,
    cache: UploadCache | None = None,
    workers: int = UPLOAD_WORKERS,
    progress: bool | None = None,
    on_upload: Callable[[LocalMedia, str], None] | None = None,
    timings: Timings | None = None,
) -> dict[str, LocalMedia]:
    """Upload the local media of ``batch`` (once per content) and put the server's names in.

    Returns server-side name -> the :class:`LocalMedia` it came from (so results can name their
    input files). ``progress``: a tqdm bar (None: when there are several and a terminal);
    ``timings`` gets an ``upload`` stage when anything is local.
    """
    unique = {m.sha256: m for m in find_media(batch._body)}
    if not unique:
        return {}
    if timings is not None:
        with timings.stage("upload"):
            return upload_media(client, batch, board_id=board_id, cache=cache, workers=workers, progress=progress,
                                on_upload=on_upload)
    cache = cache if cache is not None else UploadCache(client.url)
    names: dict[str, str] = {}
    from tqdm.auto import tqdm  # ~30 ms: imported when there is something to upload

    bar = tqdm(total=len(unique), desc="uploading inputs", unit="file",
               disable=(len(unique) < 2 or None) if progress is None else not progress)

    def one(media: LocalMedia) -> None:
        names[media.sha256] = upload_one(client, media, cache, board_id=board_id)
        if on_upload is not None:
            on_upload(media, names[media.sha256])
        bar.update(1)

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(workers, len(unique)))) as pool:
            for future in [pool.submit(one, m) for m in unique.values()]:
                future.result()
    finally:
        bar.close()
    _replace(batch._body, names)
    return {names[sha]: media for sha, media in unique.items()}


def _sources(value: Any, uploads: Mapping[str, LocalMedia]) -> list[str]:
    values = value if isinstance(value, list) else [value]
    names = [v.get("image_name") or v.get("video_name") for v in values if isinstance(v, Mapping)]
    return [uploads[n].source for n in names if isinstance(n, str) and n in uploads]


def planned_inputs(batch: Batch, item_ids: Sequence[int],
                   uploads: Mapping[str, LocalMedia]) -> dict[int, dict[str, str]]:
    """Item id -> ``{"node_id.field": local source}`` of the uploaded inputs each item runs on.

    InvokeAI expands a batch run by run, each run the product of its data groups in order (the
    lists of one group zipped), and numbers the items in that order (``item_ids`` oldest first).
    """
    if not uploads:
        return {}
    fixed: dict[str, str] = {}
    for node_id, node in (batch.graph.get("nodes") or {}).items():
        for field, value in node.items():
            found = _sources(value, uploads)
            if found:
                fixed[f"{node_id}.{field}"] = ", ".join(found)
    groups = [list(zip(*[[(f"{d['node_path']}.{d['field_name']}", v) for v in d["items"]] for d in group],
                       strict=True)) for group in batch.data]
    combos = [dict(pair for row in rows for pair in row) for rows in itertools.product(*groups)] * batch.runs
    out: dict[int, dict[str, str]] = {}
    for item_id, combo in zip(sorted(item_ids), combos or [{}] * len(item_ids), strict=False):
        swept = {key: ", ".join(_sources(v, uploads)) for key, v in combo.items() if _sources(v, uploads)}
        out[item_id] = {**fixed, **swept}
    return out


__all__ = ["UPLOAD_WORKERS", "UploadCache", "find_media", "find_media_in", "planned_inputs", "upload_media",
           "upload_one"]
