"""The interactive notebook, in a real JupyterLab in headless Chromium, generates an image on click.

This is what a user does: open the notebook, run all cells, type a prompt, click Generate, see the
image appear in the panel. It proves the pieces the headless tests cannot: the widget front end
renders the panel, a click travels to the kernel, the background job's updates travel back. The
screenshot is kept in ``tests/artifacts/`` for a human to look at.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import requests
from browser_lab import ARTIFACTS, ROOT, start_lab

NOTEBOOK = ROOT / "notebooks" / "02_interactive_generation.ipynb"
PROMPT = "a small red lighthouse on a cliff, browser test"
KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


def _run_all_cells(page: Any) -> None:
    """Clear the stored outputs (their saved widget state renders a panel too), then run everything."""
    page.wait_for_function(KERNEL_IDLE, timeout=90_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.wait_for_function("() => !document.querySelector('.invokekit-panel')", timeout=30_000)
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")


@pytest.mark.server
@pytest.mark.browser
def test_generate_from_the_panel_in_jupyterlab(invokeai_sandbox: Any, browser_page: Any, tmp_path: Path) -> None:
    lab = start_lab([NOTEBOOK], tmp_path, unset=("INVOKEAI_URL",))
    page = browser_page
    try:
        page.goto(f"{lab.url}/lab/tree/{NOTEBOOK.name}")
        _run_all_cells(page)
        panel = page.locator(".invokekit-panel").first
        panel.wait_for(timeout=120_000)
        # the notebook's last cell drives the panel from code; wait until it has finished
        page.locator(".jp-OutputArea-output", has_text="panel state: completed").first.wait_for(timeout=180_000)
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
        page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")

        before = panel.locator(".invokekit-gallery img").count()
        prompt = panel.locator("textarea").first
        prompt.fill(PROMPT)
        random_seed = panel.locator("input[type=checkbox]").first
        random_seed.check()  # the notebook fixed the seed; a new one gives a visibly new image
        panel.locator("button", has_text="Generate").click()
        # the new image arrives in the gallery (or a widget view breaks: fail at once, not at the timeout)
        page.wait_for_function(
            "() => document.querySelector('.invokekit-panel .jupyter-widgets-error-widget') || "
            f"document.querySelectorAll('.invokekit-panel .invokekit-gallery img').length > {before}",
            timeout=120_000,
        )
        status = panel.locator(".invokekit-status").first
        status.wait_for(timeout=10_000)
        page.wait_for_function(
            "() => /done/.test(document.querySelector('.invokekit-panel .invokekit-status').textContent)",
            timeout=30_000,
        )
        assert panel.locator(".jupyter-widgets-error-widget").count() == 0, "a widget view failed to render"
        newest = panel.locator(".invokekit-gallery img").first
        newest.scroll_into_view_if_needed()
        assert newest.evaluate("img => img.complete && img.naturalWidth") > 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / "browser-generation-panel.png"
        page.wait_for_timeout(300)  # let the image paint
        panel.screenshot(path=str(shot))
        page.screenshot(path=str(ARTIFACTS / "browser-jupyterlab-page.png"))
        assert shot.stat().st_size > 0

        # the job really ran on the sandbox, with the prompt typed in the browser
        text = status.text_content() or ""
        match = re.search(r"item (\d+)", text)
        assert match, f"status does not name the queue item: {text!r}"
        item = requests.get(f"{invokeai_sandbox.url}/api/v1/queue/default/i/{match.group(1)}", timeout=10).json()
        assert item["status"] == "completed"
        assert PROMPT in str(item["session"]["graph"])
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "browser-failure.png"))
        print(lab.log_tail())
        raise
    finally:
        lab.stop()
