"""Two real servers for the pool tests: the session's sandbox and a second private one.

The second is named after this run's sandbox (``$INVOKEKIT_SANDBOX``, else "default") plus "-b",
so parallel runs never share it; it is stopped at the end of the session when this session
started it. Tests that kill it call ``second_sandbox.up()`` first, like every test using it, so a
later test finds it running again.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from invokekit.sandbox import Sandbox


@pytest.fixture(scope="session")
def _second(invokeai_sandbox: Sandbox) -> Iterator[Sandbox]:
    base = os.environ.get("INVOKEKIT_SANDBOX") or "default"
    sandbox = Sandbox(name=f"{base}-b", progress=None)
    try:
        yield sandbox
    finally:
        if sandbox.started:  # left running when it was already up before this session
            sandbox.down()


@pytest.fixture
def second_sandbox(_second: Sandbox) -> Sandbox:
    """The second sandbox, running (started again if a test killed it)."""
    return _second.up()


@pytest.fixture
def servers(invokeai_sandbox: Sandbox, second_sandbox: Sandbox) -> list[str]:
    """The two servers' URLs."""
    return [invokeai_sandbox.url, second_sandbox.url]
