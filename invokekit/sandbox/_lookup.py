"""Which running sandbox serves a URL: how a client recognises invokekit's own servers.

Every sandbox records its running server in its state file; a state counts only while its process
is still an ``invokeai-web`` serving that sandbox's root (a stale file or a reused pid does not).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from invokekit.sandbox import _server
from invokekit.sandbox._layout import Layout, default_cache_dir
from invokekit.sandbox._sandbox import Sandbox


def sandbox_serving(
    same_server: Callable[[str], bool], cache_dir: str | os.PathLike[str] | None = None
) -> Sandbox | None:
    """The running sandbox whose URL ``same_server`` accepts, or None.

    ``same_server`` compares a sandbox's URL with the one wanted (``localhost`` and ``127.0.0.1``
    are the same server); ``cache_dir`` defaults to the sandboxes' usual cache.
    """
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    folder = Layout(cache.absolute()).sandboxes_dir
    try:
        names = sorted(p.name for p in folder.iterdir() if (p / "state.json").is_file())
    except OSError:
        return None
    for name in names:
        sandbox = Sandbox(name, cache_dir=cache, progress=None)
        state = sandbox._read_state()
        if state is None or not same_server(str(state["url"])):
            continue
        if _server.is_server_of(int(state["pid"]), sandbox.root):
            sandbox._state = state
            return sandbox
    return None


__all__ = ["sandbox_serving"]
