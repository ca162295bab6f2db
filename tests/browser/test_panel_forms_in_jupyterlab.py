"""The panel built from workflows' forms, in a real JupyterLab in headless Chromium, on the sandbox.

A user's path: a form-builder workflow (schema 4 with containers) and a schema 3 one each get one
control of the right kind per form field; an image is uploaded through the browser's file input;
a 2x2 sweep chosen in the panel shows a grid; Cancel stops a running item; the queue view lists
another client's item; a panel pointed at a closed port keeps its layout and says so; the stored
notebook opens with its saved widget. Screenshots go to ``tests/artifacts/``.
"""

from __future__ import annotations

import io
import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import nbformat
import pytest
from browser_lab import ARTIFACTS, ROOT, start_lab
from nbformat.sign import NotebookNotary
from PIL import Image

from invokekit import Client

WIDGETS = ROOT / "tests" / "widgets"
STORED = ROOT / "notebooks" / "02_interactive_generation.ipynb"
KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


def _kinds() -> tuple[dict[str, str], dict[str, str], Path]:
    import sys

    sys.path.insert(0, str(WIDGETS))
    from formwf import FORM_KINDS, SD15, SD15_KINDS

    return FORM_KINDS, SD15_KINDS, SD15


def _notebook(path: Path, url: str, out: Path) -> None:
    setup = (
        f"import sys; sys.path.insert(0, {str(WIDGETS)!r})\n"
        "from formwf import SD15, form_builder_workflow\n"
        "from invokekit import Client\n"
        "from invokekit.widgets import GenerationPanel\n"
        f"client = Client({url!r})"
    )
    cells = [setup]
    for name, source, monitor in (
        ("panel-form", "form_builder_workflow()", "api"),
        ("panel-sd15", "SD15", "auto"),
        ("panel-dead", "form_builder_workflow()", "auto"),
    ):
        target = "Client('http://127.0.0.1:9', timeout=2)" if name == "panel-dead" else "client"
        cells.append(
            f"p = GenerationPanel({source}, {target}, out_dir={str(out)!r}, monitor={monitor!r})\n"
            f"p.add_class({name!r})\np"
        )
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "invokekit", "display_name": "invokekit (.venv)", "language": "python"}
    nbformat.write(nb, path)


def _png(path: Path) -> Path:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue())
    return path


def _status(page: Any, panel: str, pattern: str, timeout: float = 120_000) -> None:
    page.wait_for_function(
        f"() => {{ const s = document.querySelector('.{panel} .invokekit-status');"
        f" return s && /{pattern}/.test(s.textContent); }}",
        timeout=timeout,
    )


def _reveal(page: Any, panel: str) -> None:
    """Scroll the notebook down until the panel's cell is drawn."""
    for _ in range(40):
        if page.locator(f".{panel}").count():
            page.locator(f".{panel}").first.scroll_into_view_if_needed()
            return
        page.evaluate("() => { const o = document.querySelector('.jp-WindowedPanel-outer');"
                      " if (o) o.scrollTop += 500; }")
        page.wait_for_timeout(250)
    raise AssertionError(f"no .{panel} in the notebook")


def _check_kinds(page: Any, panel: str, kinds: dict[str, str]) -> None:
    """Every form field has a control of its kind."""
    for kind, count in Counter(kinds.values()).items():
        found = page.locator(f".{panel} .invokekit-form .invokekit-field-{kind}").count()
        assert found == count, f"{panel}: {found} {kind} controls, want {count}"
    for label in kinds:
        assert page.locator(f".{panel} .invokekit-form", has_text=label).count() == 1, label


@pytest.mark.server
@pytest.mark.browser
def test_form_panels_in_jupyterlab(invokeai_sandbox: Any, browser_page: Any, tmp_path: Path) -> None:
    form_kinds, sd15_kinds, _ = _kinds()
    lab = start_lab([], tmp_path, unset=("INVOKEAI_URL",))
    _notebook(lab.root_dir / "forms.ipynb", invokeai_sandbox.url, tmp_path / "out")
    page = browser_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    client = Client(invokeai_sandbox.url)
    try:
        page.goto(f"{lab.url}/lab/tree/forms.ipynb")
        page.wait_for_function(KERNEL_IDLE, timeout=90_000)
        page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        form = page.locator(".panel-form").first
        form.wait_for(timeout=120_000)
        page.wait_for_timeout(1000)
        page.wait_for_function(KERNEL_IDLE, timeout=120_000)
        assert page.locator(".jupyter-widgets-error-widget").count() == 0
        _check_kinds(page, "panel-form", form_kinds)
        rows = page.locator(".panel-form .invokekit-form-row")
        assert rows.count() == 2 and "Width" in rows.first.text_content() and "Height" in rows.first.text_content()

        # an image field takes an uploaded file
        image = form.locator(".invokekit-field-image").first
        with page.expect_file_chooser() as chooser:
            image.locator("button", has_text="Upload").click()
        chooser.value.set_files(str(_png(tmp_path / "red.png")))
        page.wait_for_function(
            "() => /\\.png$/.test(document.querySelector('.panel-form .invokekit-field-image input[type=text]').value)",
            timeout=60_000,
        )
        name = image.locator("input[type=text]").input_value()
        assert client.images.dto(name)["image_name"] == name
        assert image.locator("img").evaluate("img => img.complete && img.naturalWidth") > 0
        form.scroll_into_view_if_needed()
        form.screenshot(path=str(ARTIFACTS / "browser-form-panel.png"))

        # a 2x2 sweep chosen in the panel shows a grid
        sweep = form.locator(".invokekit-sweep")
        sweep.locator("select").nth(0).select_option(label="Steps")
        sweep.locator("input[type=text]").nth(0).fill("1, 2")
        sweep.locator("select").nth(1).select_option(label="CFG Scale")
        sweep.locator("input[type=text]").nth(1).fill("3, 5.5")
        page.wait_for_timeout(300)
        form.locator("button", has_text="Generate").click()
        _status(page, "panel-form", "done", timeout=240_000)
        grid = form.locator("img.invokekit-grid")
        grid.wait_for(timeout=30_000)
        assert grid.evaluate("img => img.complete && img.naturalWidth") > 0
        assert form.locator(".invokekit-card").count() == 4
        assert form.locator(".invokekit-caption", has_text="CFG Scale=5.5").count() == 2
        grid.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        form.screenshot(path=str(ARTIFACTS / "browser-form-sweep-grid.png"))

        # Cancel stops a running item
        sweep.locator("select").nth(0).select_option(label="(none)")
        sweep.locator("select").nth(1).select_option(label="(none)")
        steps = form.locator(".invokekit-field-int", has_text="Steps").first.locator("input")
        steps.fill("1000")  # a long run on the tiny model (the image input keeps the size at 64 px)
        steps.press("Enter")
        page.wait_for_timeout(300)
        form.locator("button", has_text="Generate").click()
        _status(page, "panel-form", "^(queued|item \\d+: )", timeout=60_000)  # this run's, not the last "done: item"
        form.locator("button", has_text="Cancel").first.click()
        _status(page, "panel-form", "canceled", timeout=120_000)
        canceled = [i for i in client.queue.item_ids()[:5] if client.queue.item(i)["status"] == "canceled"]
        assert canceled, "the item is canceled on the server"

        # the queue view lists another client's item (not ours: no Cancel on it)
        client.queue.pause()
        try:
            foreign = client.submit(_kinds()[2], sets={"model": "tiny-sd15", "width": 64, "height": 64})
            form.locator("button", has_text="Refresh queue").click()
            item = form.locator(".invokekit-queue-item", has_text=f"item {foreign.item_ids[0]}:")
            item.wait_for(timeout=30_000)
            assert item.get_attribute("data-ours") == "false" and "other" in (item.text_content() or "")
            item.scroll_into_view_if_needed()
            form.screenshot(path=str(ARTIFACTS / "browser-form-queue.png"))
        finally:
            client.queue.resume()
        foreign.cancel()

        # the schema 3 panel below it (JupyterLab draws only the cells in view: scroll to it)
        _reveal(page, "panel-sd15")
        _check_kinds(page, "panel-sd15", sd15_kinds)

        # pointed at a closed port: the layout holds, the status says why
        page.set_viewport_size({"width": 900, "height": 1400})
        _reveal(page, "panel-dead")
        dead = page.locator(".panel-dead").first
        dead.scroll_into_view_if_needed()
        status = dead.locator(".invokekit-status").first.text_content() or ""
        assert "cannot reach http://127.0.0.1:9" in status, status
        column = dead.locator(".invokekit-form").first.bounding_box()
        assert column is not None and column["width"] >= 400, column
        assert dead.locator(".invokekit-form textarea").first.bounding_box()["width"] >= 250, "prompt not squeezed"
        assert dead.locator(".invokekit-placeholder").count() == 1
        page.wait_for_timeout(300)
        dead.screenshot(path=str(ARTIFACTS / "browser-panel-unreachable-900px.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "browser-forms-failure.png"))
        print(lab.log_tail())
        raise
    finally:
        lab.stop()


@pytest.mark.browser
def test_the_stored_notebook_opens_with_its_saved_widget(browser_page: Any, tmp_path: Path) -> None:
    """No kernel code runs: the panel is drawn from the widget state stored in the notebook
    (JupyterLab draws stored widgets of a trusted notebook; ``make notebooks`` trusts them)."""
    stored = json.loads(STORED.read_text(encoding="utf-8"))
    assert "application/vnd.jupyter.widget-state+json" in stored["metadata"]["widgets"]
    lab = start_lab([], tmp_path, unset=("INVOKEAI_URL",))
    copy = lab.root_dir / STORED.name
    shutil.copy2(STORED, copy)
    nb = nbformat.read(copy, as_version=4)
    NotebookNotary().sign(nb)  # what `jupyter trust` does for the user who ran it
    page = browser_page
    try:
        page.goto(f"{lab.url}/lab/tree/{STORED.name}")
        panel = page.locator(".invokekit-panel").first
        panel.wait_for(timeout=120_000)
        assert page.locator("text=GenerationPanel(children=").count() == 0, "the text repr, not the widget"
        assert panel.locator("textarea").count() >= 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.wait_for_timeout(500)
        panel.screenshot(path=str(ARTIFACTS / "browser-stored-notebook.png"))
    except Exception:
        page.screenshot(path=str(ARTIFACTS / "browser-stored-failure.png"))
        print(lab.log_tail())
        raise
    finally:
        lab.stop()
