"""Fixtures shared by every test folder.

The real server comes from the invokekit pytest plugin (``invokeai_sandbox``: the sandbox named by
``$INVOKEKIT_SANDBOX``, else "default"). This folder is on ``sys.path`` (pytest's default import
mode puts a conftest's folder there), so the shared test helpers import by their module names:
``_graphs`` (model-free graphs, tiny-SDXL settings), ``_proxies`` (TCP forwarders) and
``_faultproxy`` (the HTTP fault proxy).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from invokekit.client import Client

if TYPE_CHECKING:
    from invokekit.sandbox import Sandbox


@pytest.fixture
def client(invokeai_sandbox: Sandbox) -> Iterator[Client]:
    """A fresh client of the test sandbox for one test (its own cached server context), with the
    database found the default way (``db_path="auto"``: the sandbox whose URL it is, proven).

    Always the sandbox, even with ``$INVOKEAI_URL`` set: tests compare what they see with it. The
    plugin's session-wide ``invokeai_client`` is the one that follows ``$INVOKEAI_URL``."""
    with Client(invokeai_sandbox.url) as c:
        yield c


@pytest.fixture(scope="session")
def _second_sandbox_session(invokeai_sandbox: Sandbox) -> Iterator[Sandbox]:
    """A second private sandbox for the pool tests (tests/pool, the CLI's pool runs), named after this
    run's (``$INVOKEKIT_SANDBOX``, else "default") plus "-b" so parallel runs never share it; stopped at
    the end of the session when this session started it (left running when it was up before)."""
    import os

    from invokekit.sandbox import Sandbox

    base = os.environ.get("INVOKEKIT_SANDBOX") or "default"
    sandbox = Sandbox(name=f"{base}-b", progress=None)
    try:
        yield sandbox
    finally:
        if sandbox.started:
            sandbox.down()


@pytest.fixture
def second_sandbox(_second_sandbox_session: Sandbox) -> Sandbox:
    """The second sandbox, running (started again if a test killed it; a start lost to InvokeAI's
    VACUUM race right after the kill is tried again by the sandbox itself)."""
    return _second_sandbox_session.up()
