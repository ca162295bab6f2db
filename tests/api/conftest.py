"""Fixtures for the HTTP layer's tests: the loopback fault proxy (shared with tests/client) and
the transport's test mode."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# the fault proxy lives beside the client tests, which use it too
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "client"))

from invokekit.api import set_testing


@pytest.fixture
def no_waits() -> Iterator[None]:
    """The transport's test mode for one test: retries happen, without sleeping in between."""
    set_testing(True)
    try:
        yield
    finally:
        set_testing(False)
