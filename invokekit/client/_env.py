"""Which server to talk to when the caller does not say: the one rule every entry point follows.

An explicit URL wins; else ``$INVOKEAI_URL`` (with ``$INVOKEAI_TOKEN`` and ``$INVOKEAI_DB``, which
describe that server and so are used only for it, as is a password in ``$INVOKEAI_URL``: a URL
naming the same server without one, such as a journal's, gets it); else invokekit's local
sandbox (named by ``$INVOKEKIT_SANDBOX``, as :class:`~invokekit.sandbox.Sandbox` does), started if
it is not running. The CLI, the benchmark runner, the notebooks, the panel and the pytest plugin all connect
through :meth:`Client.from_env`, so this rule is written here only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from invokekit.api._secrets import split_credentials, with_credentials

if TYPE_CHECKING:
    from invokekit.client._client import Client
    from invokekit.sandbox import Sandbox

C = TypeVar("C", bound="Client")

def server_url(url: str | None = None) -> str | None:
    """``url``, else ``$INVOKEAI_URL``, without a trailing slash; None when neither names a server
    (then the sandbox is the server)."""
    for value in (url, os.environ.get("INVOKEAI_URL")):
        if value and value.strip():
            return value.strip().rstrip("/")
    return None


def _sandbox(choice: str | Sandbox | Callable[[], Sandbox] | None) -> Sandbox:
    from invokekit.sandbox import Sandbox

    if isinstance(choice, Sandbox):
        return choice
    if callable(choice):
        return choice()
    return Sandbox(choice).up()


def client_from_env(
    cls: type[C],
    url: str | None = None,
    *,
    token: str | None = None,
    db_path: str | os.PathLike[str] | None = "auto",
    sandbox: str | Sandbox | Callable[[], Sandbox] | None = None,
    timeout: float = 30.0,
) -> C:
    """A ``cls`` for ``url``, else ``$INVOKEAI_URL``, else the sandbox ``sandbox`` (see the module)."""
    target = server_url(url)
    if target is None:
        server = _sandbox(sandbox)
        return cls(server.url, token=token, timeout=timeout, db_path=db_path)
    described = server_url()
    if described is not None and split_credentials(target)[0] == split_credentials(described)[0]:
        # the server the environment describes: its password (a journal's URL has none), token, database
        target = with_credentials(target, described)
        token = token if token is not None else os.environ.get("INVOKEAI_TOKEN") or None
        if db_path == "auto":
            db_path = os.environ.get("INVOKEAI_DB") or "auto"
    return cls(target, token=token, timeout=timeout, db_path=db_path)


__all__ = ["client_from_env", "server_url"]
