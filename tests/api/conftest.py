"""Fixtures for the HTTP layer's tests: the transport's test mode (the loopback fault proxy,
shared with tests/client, is ``tests/_faultproxy.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from invokekit.api import set_testing


@pytest.fixture
def no_waits() -> Iterator[None]:
    """The transport's test mode for one test: retries happen, without sleeping in between."""
    set_testing(True)
    try:
        yield
    finally:
        set_testing(False)
