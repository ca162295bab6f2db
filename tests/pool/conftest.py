"""The pool tests run on two real servers: the session's sandbox and a second private one
(``second_sandbox``, from tests/conftest.py). Tests that kill the second call for it like every
test using it, so a later test finds it running again."""

from __future__ import annotations

import pytest

from invokekit.sandbox import Sandbox


@pytest.fixture
def servers(invokeai_sandbox: Sandbox, second_sandbox: Sandbox) -> list[str]:
    """The two servers' URLs."""
    return [invokeai_sandbox.url, second_sandbox.url]
