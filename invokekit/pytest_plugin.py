"""pytest plugin (registered as the ``invokekit`` entry point): fixtures for a real InvokeAI.

``invokeai_sandbox`` (session scope) gives a started :class:`~invokekit.sandbox.Sandbox` named
"default": it reuses one that already runs (started by the CLI, a notebook or another test
session) or starts it, installing InvokeAI and building the tiny models on first use. At the end
of the session it stops the server only if this session started it and no other live session
still uses it (then the last one to leave stops it). Real-server tests always run; they never skip.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # imported lazily so that loading the plugin stays cheap for every pytest run
    from invokekit.sandbox import Sandbox


@pytest.fixture(scope="session")
def invokeai_sandbox() -> Iterator[Sandbox]:
    """A running sandbox InvokeAI with ``tiny-sdxl`` (main) and ``tiny-sdxl-vae`` (vae) installed."""
    from invokekit.sandbox import Sandbox

    sandbox = Sandbox().up(hold=True)
    try:
        yield sandbox
    finally:
        sandbox.release()
