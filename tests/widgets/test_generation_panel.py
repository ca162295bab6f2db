"""GenerationPanel without a browser: set values, click, and check the panel and the real server.

``button.click()`` runs the same handler a browser click runs; there is no front end here, so
everything is asserted on widget state (values, children), never on ``Output`` captures.
"""

from __future__ import annotations

import random
import time
import warnings
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pytest
from _graphs import tiny_sdxl

from invokekit import Client, InvokekitError
from invokekit.widgets import GenerationPanel

WORKFLOW = "Text to Image - SDXL"


@pytest.fixture
def workflow(client: Client) -> Any:
    wf = client.workflow(WORKFLOW)
    wf.set(**tiny_sdxl(128, 3))
    return wf


def _graph_text(client: Client, item_id: int) -> str:
    return str(client.queue.item(item_id)["session"]["graph"])


@pytest.mark.server
def test_panel_offers_what_the_server_and_workflow_have(client: Client, workflow: Any, tmp_path: Path) -> None:
    panel = GenerationPanel(workflow, client, out_dir=tmp_path)
    c = {k: v.widget for k, v in panel.controls.items()}
    assert "tiny-sdxl" in c["model"].options and c["model"].value == "tiny-sdxl"
    assert "tiny-sdxl-vae" in c["vae"].options
    assert {"euler", "dpmpp_2m_sde_k", "ddim"} <= set(c["scheduler"].options)
    assert (c["width"].value, c["height"].value, c["steps"].value) == (128, 128, 3)
    assert all(control.param is not None for control in panel.controls.values()), "SDXL t2i has every knob"
    assert not any(w.disabled for w in c.values())
    assert panel.state == "idle" and not panel.generate_button.disabled and panel.cancel_button.disabled
    assert panel.error_box.value == ""


@pytest.mark.server
def test_generate_runs_the_job_and_fills_the_panel(client: Client, workflow: Any, tmp_path: Path) -> None:
    panel = GenerationPanel(workflow, client, out_dir=tmp_path, monitor="events")
    panel.controls["positive_prompt"].widget.value = "a headless lighthouse, widget test"
    panel.controls["scheduler"].widget.value = "euler"
    panel.random_seed.value = False
    seed = random.randint(1, 2**31)  # a new graph each time: identical graphs come from the server's cache
    panel.controls["seed"].widget.value = seed

    panel.generate_button.click()
    # the click returns at once: the job runs in the background and the kernel stays free
    assert panel.state == "running"
    assert panel.generate_button.disabled and not panel.cancel_button.disabled

    assert panel.wait(timeout=180) == "completed", panel.error_box.value
    assert not panel.generate_button.disabled and panel.cancel_button.disabled
    assert panel.progress.value == 1.0 and panel.progress.bar_style == "success"
    assert panel.updates_seen > 0
    assert panel.previews_seen > 0, "invocation_progress previews reach the panel with the events monitor"
    assert len(panel.images) == 1 and panel.images[0].parent == tmp_path
    [card] = panel.gallery.cards.children
    thumb, caption = card.children[:2]
    assert isinstance(thumb, widgets.Image) and thumb.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Seed={seed}" in caption.value and "a headless lighthouse" in caption.value, "captioned with its values"
    assert panel.preview.value == panel.images[0].read_bytes()
    for stage in ("submit", "wait", "download"):
        assert stage in panel.timings.value
    assert "done" in panel.status.value

    # the server really ran what the panel showed
    [result] = panel.results
    assert result.status == "completed"
    assert f"item {result.item_id}" in panel.status.value
    graph = _graph_text(client, result.item_id)
    assert "a headless lighthouse, widget test" in graph and str(seed) in graph and "'euler'" in graph

    # a second run keeps the first image in the gallery, newest first; random seed picks a new seed
    panel.random_seed.value = True
    panel.generate_button.click()
    assert panel.wait(timeout=180) == "completed", panel.error_box.value
    assert len(panel.gallery.cards.children) == 2 and len(panel.images) == 2
    assert panel.results[0].item_id > result.item_id


@pytest.mark.server
def test_an_invalid_value_is_shown_in_the_panel(client: Client, workflow: Any, tmp_path: Path) -> None:
    panel = GenerationPanel(workflow, client, out_dir=tmp_path)
    panel.controls["width"].widget.value = 130  # noise width must be a multiple of 8
    panel.generate_button.click()
    assert panel.wait(timeout=60) == "error"
    assert isinstance(panel.error, InvokekitError)
    assert "width" in panel.error_box.value and "130" in panel.error_box.value
    assert "error" in panel.status.value
    assert panel.progress.bar_style == "danger"
    assert not panel.generate_button.disabled, "an error must not leave a dead button"
    assert panel.gallery.cards.children == ()

    panel.controls["width"].widget.value = 128  # fixing the value makes the next click work
    panel.generate_button.click()
    assert panel.wait(timeout=180) == "completed", panel.error_box.value
    assert panel.error_box.value == ""


@pytest.mark.server
def test_an_unknown_model_is_an_error_in_the_panel(client: Client, workflow: Any, tmp_path: Path) -> None:
    panel = GenerationPanel(workflow, client, out_dir=tmp_path)
    model = panel.controls["model"].widget
    model.options = [*model.options, "no-such-model"]
    model.value = "no-such-model"
    panel.generate_button.click()
    assert panel.wait(timeout=60) == "error"
    assert "no-such-model" in panel.error_box.value
    assert not panel.generate_button.disabled


def _long_run(client: Client, workflow: Any, tmp_path: Path) -> GenerationPanel:
    """A panel running a long item (200 steps at 512 px), once its job is submitted."""
    panel = GenerationPanel(workflow, client, out_dir=tmp_path, monitor="api")
    panel.controls["steps"].widget.value = 200
    panel.controls["width"].widget.value = panel.controls["height"].widget.value = 512
    panel.generate_button.click()
    deadline = time.monotonic() + 60
    while panel.job is None and time.monotonic() < deadline:
        time.sleep(0.05)
    return panel


@pytest.mark.server
def test_cancel_stops_the_running_job(client: Client, workflow: Any, tmp_path: Path) -> None:
    panel = _long_run(client, workflow, tmp_path)
    assert panel.job is not None, panel.error_box.value
    panel.cancel_button.click()
    assert panel.wait(timeout=120) == "canceled", panel.error_box.value
    assert client.queue.item(panel.job.item_ids[0])["status"] == "canceled"
    assert panel.gallery.cards.children == ()
    assert not panel.generate_button.disabled and panel.cancel_button.disabled


@pytest.mark.server
def test_a_run_that_ends_before_cancel_returns_still_says_canceled(
    client: Client, workflow: Any, tmp_path: Path
) -> None:
    """The run can see its item canceled before Cancel's own request has returned (a loaded machine):
    the panel's last word must be the outcome, not "canceling...". Forced here: the cancel request
    returns only once the run has ended."""
    panel = _long_run(client, workflow, tmp_path)
    job = panel.job
    assert job is not None, panel.error_box.value
    real_cancel = job.cancel

    def cancel_then_let_the_run_end() -> list[int]:
        canceled = real_cancel()
        assert panel.wait(timeout=120) == "canceled", panel.error_box.value
        return canceled

    job.cancel = cancel_then_let_the_run_end
    panel.cancel_button.click()
    assert panel.state == "canceled"
    assert "canceled" in panel.status.value and "canceling" not in panel.status.value, panel.status.value


@pytest.mark.server
def test_panel_loads_a_workflow_by_name_and_keeps_a_fixed_seed(client: Client, tmp_path: Path) -> None:
    panel = GenerationPanel(WORKFLOW, client, out_dir=tmp_path)
    assert panel.workflow.name == WORKFLOW
    assert panel.random_seed.value, "the shipped workflow draws its seed from a random node"
    fixed = client.workflow(WORKFLOW)
    fixed.set(seed=99)
    panel = GenerationPanel(fixed, client, out_dir=tmp_path)
    assert not panel.random_seed.value and panel.controls["seed"].widget.value == 99


def test_an_unreachable_server_is_reported_in_the_panel(tmp_path: Path) -> None:
    """Nothing listens on the port: the panel still builds, says why, and Generate fails visibly."""
    from invokekit.workflow import Workflow

    shipped = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "workflows" / "default"
    workflow = Workflow.load(shipped / f"{WORKFLOW}.json")
    panel = GenerationPanel(workflow, Client("http://127.0.0.1:9", timeout=2), out_dir=tmp_path)
    assert "ServerUnavailable" in panel.error_box.value
    assert "cannot reach http://127.0.0.1:9" in panel.status.value, "the status tells the truth"
    assert set(panel.fields) >= {"Positive Prompt", "Negative Prompt", "Board"}, "the form keeps its fields"
    assert "db" not in panel.monitor.options, "no database monitor offered for a server it cannot prove"
    panel.generate_button.click()
    assert panel.wait(timeout=60) == "error"
    assert "ServerUnavailable" in panel.error_box.value
    assert "cannot reach http://127.0.0.1:9" in panel.status.value
    assert not panel.generate_button.disabled


@pytest.mark.server
def test_an_item_that_fails_on_the_server_is_shown_in_the_panel(client: Client, workflow: Any, tmp_path: Path) -> None:
    """8x8 pixels is a valid graph, but the UNet cannot run on a 1x1 latent: the item fails on the server."""
    panel = GenerationPanel(workflow, client, out_dir=tmp_path, monitor="api")
    panel.controls["width"].widget.value = panel.controls["height"].widget.value = 8
    panel.generate_button.click()
    assert panel.wait(timeout=180) == "failed"
    [result] = panel.results
    assert result.status == "failed" and result.error_type
    assert f"item {result.item_id} failed" in panel.status.value
    assert result.error_type in panel.error_box.value
    assert panel.progress.bar_style == "danger"
    assert panel.gallery.cards.children == () and panel.images == []
    assert not panel.generate_button.disabled


@pytest.mark.server
@pytest.mark.parametrize("monitor", ["db", "api"])
def test_the_monitor_chosen_in_the_panel_watches_the_job(
    client: Client, workflow: Any, tmp_path: Path, monitor: str
) -> None:
    panel = GenerationPanel(workflow, client, out_dir=tmp_path)
    assert list(panel.monitor.options) == ["auto", "events", "db", "api"]
    panel.monitor.value = monitor
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fallback to another backend would be a MonitorFallbackWarning
        panel.generate_button.click()
        assert panel.wait(timeout=180) == "completed", panel.error_box.value
    assert panel.updates_seen > 0 and len(panel.images) == 1
    assert panel.previews_seen == 0, "only socket.io events carry previews"


@pytest.mark.server
def test_model_dropdowns_offer_only_models_the_workflow_can_use(client: Client, tmp_path: Path) -> None:
    """The sandbox has no CogView4 model: that workflow is offered none, and the panel says so; an
    SD1.5 workflow is offered the SD1.5 model only, an SDXL one SDXL main models only."""
    panel = GenerationPanel("Text to Image - CogView4", client, out_dir=tmp_path)
    model = panel.controls["model"].widget
    assert list(model.options) == [] and model.disabled
    assert "no fitting model" in panel.status.value and "model" in panel.status.value
    assert model.tooltip == "no fitting model on the server"
    sd15 = GenerationPanel("Text to Image - SD1.5", client, out_dir=tmp_path)
    assert list(sd15.controls["model"].widget.options) == ["tiny-sd15"]
    sdxl = GenerationPanel(WORKFLOW, client, out_dir=tmp_path)
    assert "tiny-sdxl" in sdxl.controls["model"].widget.options
    assert "tiny-sdxl-vae" not in sdxl.controls["model"].widget.options
    assert "no fitting model" not in sdxl.status.value
