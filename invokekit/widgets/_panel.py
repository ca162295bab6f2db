"""``GenerationPanel``: an ipywidgets front end for one workflow on one InvokeAI server.

The job runs in a background thread, so the notebook kernel keeps answering (other cells run,
the Cancel button works) while the server generates. Every outcome, including errors, is shown
in the panel itself: a failed run must never leave a dead button and a traceback in a log.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from invokekit.api._items import CANCELED, COMPLETED, FAILED
from invokekit.monitors import MONITOR_NAMES, StatusUpdate
from invokekit.widgets._choices import model_field_accepts, model_options, scheduler_names
from invokekit.widgets._controls import (
    Control,
    build_controls,
    random_seed,
    seed_is_random,
    unmet_model_fields,
    values_to_set,
)
from invokekit.widgets._render import decode_data_url, error_html, image_widget, status_html, timings_html

MONITORS = MONITOR_NAMES  # the panel offers every monitor the library knows


class GenerationPanel(widgets.VBox):
    """Prompt, size, steps, CFG, scheduler, seed, model, monitor; Generate/Cancel; live preview; gallery.

    ``workflow`` is an :class:`invokekit.Workflow` (or a file, dict or library name to load);
    ``client`` an :class:`invokekit.Client` (default: :meth:`Client.from_env`: ``$INVOKEAI_URL``,
    else the local sandbox). ``db_path`` lets the ``db`` monitor read the server's database
    (default: the client's);
    ``out_dir`` is where result images are downloaded (default: a temporary directory). The
    "random" seed toggle starts on when the workflow draws its seed from a random node.

    State for code and tests: ``state`` (idle, running, completed, failed, canceled, error),
    ``job``, ``results`` (the last run's item results), ``images`` (all downloaded paths, newest
    first), ``error`` (the last exception) and ``wait()`` to join the running job.
    """

    def __init__(
        self,
        workflow: Any,
        client: Any = None,
        *,
        db_path: str | Path | None = None,
        out_dir: str | Path | None = None,
        monitor: str = "auto",
        timeout: float | None = 600.0,
    ) -> None:
        if client is None:
            from invokekit.client import Client

            client = Client.from_env()
        if isinstance(workflow, str | os.PathLike | Mapping):
            workflow = client.workflow(workflow)  # a file, a dict, or a name in the server's library
        self.workflow = workflow
        self.client = client
        self.db_path = db_path
        self.timeout = timeout
        self.out_dir = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="invokekit-panel-"))
        self.state = "idle"
        self.job: Any = None
        self.results: list[Any] = []
        self.images: list[Path] = []
        self.error: BaseException | None = None
        self.updates_seen = 0  # status updates of the current run (progress events included)
        self.previews_seen = 0  # live preview images shown during the current run
        self._thread: threading.Thread | None = None
        self._cancel_requested = threading.Event()

        self.status = widgets.HTML(status_html("ready"))
        self.error_box = widgets.HTML("")
        self.controls = self._load_controls()
        unmet = unmet_model_fields(workflow, self.controls)
        if unmet:
            self.status.value = status_html(f"the server has no fitting model for: {', '.join(unmet)}", kind="error")
        self.random_seed = widgets.Checkbox(
            value=seed_is_random(workflow), description="random", indent=False, layout=widgets.Layout(width="90px")
        )
        self.monitor = widgets.Dropdown(
            options=list(MONITORS), value=monitor, description="Monitor", layout=widgets.Layout(width="200px")
        )
        self.generate_button = widgets.Button(description="Generate", button_style="primary", icon="play")
        self.cancel_button = widgets.Button(description="Cancel", button_style="warning", icon="stop", disabled=True)
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="Progress")
        self.preview = widgets.Image(format="jpeg", layout=widgets.Layout(width="192px", min_height="32px"))
        self.gallery = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.gallery.add_class("invokekit-gallery")
        self.timings = widgets.HTML("")
        self.generate_button.on_click(lambda _b: self.generate())
        self.cancel_button.on_click(lambda _b: self.cancel())
        super().__init__(children=self._layout())
        self.add_class("invokekit-panel")

    # --- construction ---------------------------------------------------------------------------

    def _load_controls(self) -> dict[str, Control]:
        """Ask the server for its models and schedulers; show a reason instead when it cannot answer."""
        models: list[dict[str, Any]] = []
        context: Any = None
        try:
            context = self.client.context()  # schema, models and boards in one cached read
            models = list(context.models or [])
        except Exception as exc:
            self._show_error(exc, "could not read the server's schema")
            try:
                models = list(self.client.models.list())
            except Exception as exc:
                self._show_error(exc, "could not list the server's models")
        main = model_field_accepts(self.workflow, context, "model", "main")
        vae = model_field_accepts(self.workflow, context, "vae", "vae")
        return build_controls(
            self.workflow,
            schedulers=scheduler_names(getattr(context, "schema", None)),
            main_models=model_options(models, *main),
            vae_models=model_options(models, *vae),
        )

    def _layout(self) -> list[widgets.Widget]:
        c = {k: v.widget for k, v in self.controls.items()}
        title = widgets.HTML(f"<b>{getattr(self.workflow, 'name', '') or 'workflow'}</b>")
        form = widgets.VBox(
            [
                c["positive_prompt"],
                c["negative_prompt"],
                widgets.HBox([c["width"], c["height"]]),
                widgets.HBox([c["steps"], c["cfg_scale"]]),
                c["scheduler"],
                widgets.HBox([c["seed"], self.random_seed]),
                c["model"],
                c["vae"],
                self.monitor,
                widgets.HBox([self.generate_button, self.cancel_button]),
            ]
        )
        live = widgets.VBox([self.status, self.progress, self.preview, self.error_box])
        return [
            title,
            widgets.HBox([form, live]),
            widgets.HTML("<b>Results</b>"),
            self.gallery,
            widgets.HTML("<b>Timings of the last run</b>"),
            self.timings,
        ]

    # --- actions --------------------------------------------------------------------------------

    def generate(self) -> None:
        """Start one run with the current values in a background thread (ignored while one runs)."""
        if self.running:
            return
        if self.random_seed.value and self.controls["seed"].param is not None:
            self.controls["seed"].widget.value = random_seed()
        values = values_to_set(self.controls)
        self.state = "running"
        self.error = None
        self.job = None
        self.updates_seen = self.previews_seen = 0
        self._cancel_requested.clear()
        self.error_box.value = ""
        self.progress.value = 0.0
        self.progress.bar_style = ""
        self.generate_button.disabled = True
        self.cancel_button.disabled = False
        self.status.value = status_html("submitting...")
        self._thread = threading.Thread(
            target=self._run, args=(values, self.monitor.value), name="invokekit-panel", daemon=True
        )
        self._thread.start()

    def cancel(self) -> None:
        """Cancel the running job on the server; the run ends as ``canceled``."""
        if not self.running:
            return
        self._cancel_requested.set()
        job = self.job
        if job is not None:
            try:
                job.cancel()
            except Exception as exc:
                self._show_error(exc, "cancel failed")
        self.status.value = status_html("canceling...")

    def wait(self, timeout: float | None = None) -> str:
        """Block until the current run has finished (for scripts and tests); return ``state``."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.state

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the background run ---------------------------------------------------------------------

    def _run(self, values: dict[str, Any], monitor: str) -> None:
        try:
            self.client.monitor_for(monitor, db_path=self.db_path).close()  # one that cannot work: refused now
            # the panel's values go on a copy; the same pipeline as code and the CLI (pre-flight first)
            self.job = self.client.submit(self.workflow, sets=values)
            if self._cancel_requested.is_set():
                self.job.cancel()
            self.status.value = status_html(f"queued: item(s) {', '.join(map(str, self.job.item_ids))}")
            wait_kw: dict[str, Any] = {"monitor": monitor, "timeout": self.timeout, "on_update": self._on_update}
            if self.db_path is not None:
                wait_kw["db_path"] = str(self.db_path)
            self.results = list(self.job.wait(**wait_kw))
            self._show_results()
        except Exception as exc:
            self.state = "error"
            self.error = exc
            self.progress.bar_style = "danger"
            self.status.value = status_html(f"error: {type(exc).__name__}", kind="error")
            self.error_box.value = error_html(exc)
        finally:
            self.generate_button.disabled = False
            self.cancel_button.disabled = True

    def _on_update(self, update: StatusUpdate) -> None:
        """Called by the monitor (maybe from its own thread) for every change it sees."""
        self.updates_seen += 1
        if update.progress is not None:
            self.progress.value = max(0.0, min(1.0, float(update.progress)))
        if update.preview:
            with contextlib.suppress(ValueError):  # a malformed preview is not worth failing the run
                self.preview.value, self.preview.format = decode_data_url(update.preview)
                self.previews_seen += 1
        text = f"item {update.item_id}: {update.status}"
        if update.message:
            text += f" - {update.message}"
        self.status.value = status_html(text)

    def _show_results(self) -> None:
        statuses = [getattr(r, "status", "?") for r in self.results]
        paths = [Path(p) for p in self.job.download(self.out_dir)] if COMPLETED in statuses else []
        self.images = paths + self.images
        self.gallery.children = tuple(image_widget(p) for p in paths) + tuple(self.gallery.children)
        if paths:
            self.preview.value, self.preview.format = paths[0].read_bytes(), paths[0].suffix.lstrip(".") or "png"
        try:
            self.timings.value = timings_html(self.job.timings)
        except Exception as exc:
            self.timings.value = error_html(exc)
        failed = [r for r in self.results if getattr(r, "status", None) == FAILED]
        if failed:
            self.state = "failed"
            first = failed[0]
            self.progress.bar_style = "danger"
            self.status.value = status_html(f"item {first.item_id} failed", kind="error")
            self.error_box.value = error_html(RuntimeError(f"{first.error_type}: {first.error_message}"))
        elif CANCELED in statuses:
            self.state = "canceled"
            self.progress.bar_style = "warning"
            self.status.value = status_html("canceled", kind="error")
        else:
            self.state = "completed"
            self.progress.value = 1.0
            self.progress.bar_style = "success"
            items = ", ".join(f"item {r.item_id}" for r in self.results)
            self.status.value = status_html(f"done: {items}: {len(paths)} image(s)", kind="ok")

    def _show_error(self, exc: BaseException, context: str) -> None:
        """Add an error to the panel's error box (it must exist: it is created first)."""
        self.error = exc
        self.error_box.value += error_html(RuntimeError(f"{context}: {type(exc).__name__}: {exc}"))
