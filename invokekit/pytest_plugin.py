"""pytest plugin (registered as the ``invokekit`` entry point): fixtures for a real InvokeAI.

``invokeai_sandbox`` (session scope) gives a started :class:`~invokekit.sandbox.Sandbox` named
"default": it reuses one that already runs (started by the CLI, a notebook or another test
session) or starts it, installing InvokeAI and building the tiny models on first use. At the end
of the session it stops the server only if this session started it and no other live session
still uses it (then the last one to leave stops it). Real-server tests always run; they never skip.

``invokeai_client`` (session scope) gives a :class:`~invokekit.client.Client` connected the way
every invokekit entry point connects (:meth:`Client.from_env`): the server ``$INVOKEAI_URL`` names,
else the ``invokeai_sandbox`` fixture's server (started only then).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported lazily so that loading the plugin stays cheap for every pytest run
    from invokekit.client import Client
    from invokekit.sandbox import Sandbox


def _live_status(config: pytest.Config) -> Callable[[str], None]:
    """Progress lines shown on the terminal despite output capture: a first install takes minutes."""
    capture = config.pluginmanager.getplugin("capturemanager")

    def say(message: str) -> None:
        if message.startswith("reusing"):
            return
        if capture is None:
            print(f"invokekit sandbox: {message}", file=sys.stderr, flush=True)
            return
        with capture.global_and_fixture_disabled():
            print(f"\ninvokekit sandbox: {message}", file=sys.stderr, flush=True)

    return say


@pytest.fixture(scope="session")
def invokeai_sandbox(request: pytest.FixtureRequest) -> Iterator[Sandbox]:
    """A running sandbox InvokeAI with ``tiny-sdxl`` (main) and ``tiny-sdxl-vae`` (vae) installed."""
    from invokekit.sandbox import Sandbox

    sandbox = Sandbox(progress=_live_status(request.config)).up(hold=True)
    try:
        yield sandbox
    finally:
        sandbox.release()


@pytest.fixture(scope="session")
def invokeai_client(request: pytest.FixtureRequest) -> Iterator[Client]:
    """A client of ``$INVOKEAI_URL``'s server, else of the ``invokeai_sandbox`` fixture's."""
    from invokekit.client import Client

    client = Client.from_env(sandbox=lambda: request.getfixturevalue("invokeai_sandbox"))
    try:
        yield client
    finally:
        client.close()
