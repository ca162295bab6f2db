"""The server's schema cached on disk per kind of server, so a new process pays no schema fetch.

Converting a workflow needs the server's OpenAPI schema: 1.7 MB, ~140 ms to fetch and parse. It
is a function of the code the server runs, InvokeAI's version and its custom node packs, and both
are cheap to ask: the app version and the installed custom node packs (``client.app``) (each pack's name
and node types; a few hundred bytes). Their hash is the key of a file under the invokekit cache
(``$INVOKEKIT_CACHE``, else ``~/.cache/invokekit``), in ``server-context/``. The file leaves out the
components conversion never reads (two thirds of the size; ~7 ms to parse).

Invalidation: another version, a pack installed or removed, or a pack's node types changed, is
another key, so another file. A pack whose code changed without changing its node types keeps
its key: ``client.context(refresh=True)`` fetches the schema again and rewrites the file. Where the
packs cannot be listed (a multi-user server answers that to admins only), the key is the version
and the URL, and the file is trusted for :data:`UNLISTED_MAX_AGE` seconds.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit._files import write_text_atomic
from invokekit.errors import ServerError

if TYPE_CHECKING:
    from invokekit.api import App

#: bump when the file's content changes meaning
FORMAT = 2
#: how long a file whose key could not include the node packs is trusted (seconds)
UNLISTED_MAX_AGE = 3600.0
_REF = re.compile(r'"#/components/schemas/([^"]+)"')


def cache_folder() -> Path:
    from invokekit.sandbox._layout import default_cache_dir

    return default_cache_dir() / "server-context"


def server_key(app: App, url: str) -> tuple[str, bool]:
    """The key of the server's node set, and whether the node packs are in it (else the URL is)."""
    version = str(app.version().get("version"))
    try:
        packs = app.custom_node_packs().get("node_packs") or []
        listed = [(p.get("name"), p.get("node_count"), sorted(p.get("node_types") or [])) for p in packs]
        what: Any = {"version": version, "packs": sorted(listed, key=repr), "format": FORMAT}
        complete = True
    except ServerError as exc:
        if exc.status is None or exc.status >= 500:
            raise
        what, complete = {"version": version, "url": url.rstrip("/"), "format": FORMAT}, False
    digest = hashlib.sha256(json.dumps(what, sort_keys=True).encode()).hexdigest()[:24]
    return f"{version}-{digest}", complete


def reduced(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without the components conversion never reads: the invocation and output
    components and those they refer to stay, and the paths (a client reading them sees them)."""
    comps: dict[str, Any] = (schema.get("components") or {}).get("schemas") or {}
    keep = {k for k, v in comps.items() if isinstance(v, dict) and v.get("class") in ("invocation", "output")}
    todo = list(keep)
    while todo:
        for ref in _REF.findall(json.dumps(comps[todo.pop()])):
            if ref in comps and ref not in keep:
                keep.add(ref)
                todo.append(ref)
    return {**schema, "components": {"schemas": {k: comps[k] for k in sorted(keep)}}}


def cached_schema(app: App, url: str, *, refresh: bool = False, folder: Path | None = None) -> dict[str, Any]:
    """The server's schema (reduced), from the cache file of its key, else fetched and stored."""
    key, complete = server_key(app, url)
    path = (folder or cache_folder()) / f"{key}.json"
    fresh = complete or (path.exists() and time.time() - path.stat().st_mtime < UNLISTED_MAX_AGE)
    if not refresh and fresh:
        try:
            return dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass  # missing or damaged: fetch it again
    schema = reduced(app.openapi_schema())
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(schema, separators=(",", ":")))
    except OSError:  # a read-only cache: the schema still serves this process
        pass
    return schema


__all__ = ["FORMAT", "UNLISTED_MAX_AGE", "cache_folder", "cached_schema", "reduced", "server_key"]
