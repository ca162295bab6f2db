"""Fixtures for real-browser tests: headless Chromium through Playwright (see ``browser_lab``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from browser_lab import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: install it (make browser-deps, or apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture
def browser_page(chromium_path: str, tmp_path: Path) -> Iterator[object]:
    """A Playwright page in headless Chromium with a fresh profile."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=chromium_path,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1400},
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
