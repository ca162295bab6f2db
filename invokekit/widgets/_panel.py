"""``GenerationPanel``: an ipywidgets front end for one workflow on one InvokeAI server.

The controls come from the workflow's own form (schema 4's form builder, schema 3's exposed
fields; see :mod:`._form`), plus the familiar knobs (size, steps, seed ...) the form does not show;
a workflow with neither gets the familiar knobs alone. Runs go through the one pipeline
(``client.submit``; see :mod:`._runs`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets

from invokekit.errors import ServerUnavailable
from invokekit.monitors import MONITOR_NAMES
from invokekit.widgets._choices import model_field_accepts, model_options, scheduler_names
from invokekit.widgets._controls import Control, build_controls, seed_is_random, unmet_model_fields
from invokekit.widgets._fields import FieldControl
from invokekit.widgets._form import build_form
from invokekit.widgets._gallery import Gallery
from invokekit.widgets._layout import FORM_COLUMN, advanced, alias_rows, column, cost_note, more_settings
from invokekit.widgets._queue_view import QueueView
from invokekit.widgets._render import PLACEHOLDER_HTML, status_html
from invokekit.widgets._runs import PanelRuns
from invokekit.widgets._sweep import SweepControls

MONITORS = MONITOR_NAMES  # every monitor the library knows; the panel offers those that work here
DEFAULT_OUT = "invokekit-out"


class GenerationPanel(PanelRuns, widgets.VBox):
    """The workflow's form, Generate/Cancel, batch count, live preview with progress, gallery, timings.

    ``workflow`` is an :class:`invokekit.Workflow` (or a file, dict or library name to load);
    ``client`` an :class:`invokekit.Client` (default: :meth:`Client.from_env`). ``db_path`` lets
    the ``db`` monitor read the server's database (default: the client's); ``out_dir`` is where
    result images are downloaded (default ``./invokekit-out``; shown and editable in the panel).

    For code and tests: ``fields`` (each form field's label to its :class:`FieldControl`),
    ``controls`` (the familiar knobs by key), ``state`` (idle, running, completed, failed,
    canceled, error), ``job``, ``results``, ``images`` (newest first), ``error``, ``wait()``.
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
        self.client = client
        self.db_path = db_path
        self.timeout = timeout
        self.state = "idle"
        self.job: Any = None
        self.results: list[Any] = []
        self.images: list[Path] = []
        self.error: BaseException | None = None
        self.updates_seen = 0  # status updates of the current run (progress events included)
        self.previews_seen = 0  # live preview images shown during the current run
        self.reachable = True
        self._started = 0.0
        self._thread: threading.Thread | None = None
        self._cancel_requested = threading.Event()
        self._status_lock = threading.Lock()
        self.status = widgets.HTML(status_html("ready"))
        self.error_box = widgets.HTML("", layout=widgets.Layout(width=FORM_COLUMN))
        context, models, boards = self._read_server()
        if isinstance(workflow, str | os.PathLike | Mapping) and self.reachable:
            workflow = client.workflow(workflow)  # a file, a dict, or a name in the server's library
        elif isinstance(workflow, str | os.PathLike | Mapping):
            from invokekit.workflow import Workflow

            workflow = Workflow.load(workflow)  # server down: the file or dict as it is, so the form still shows
        self.workflow = workflow
        self.form, self.fields = build_form(workflow, context, models=models, boards=boards, on_upload=self._upload)
        self.controls = self._alias_controls(context, models)
        unmet = unmet_model_fields(workflow, self.controls)
        if unmet and self.reachable:
            self.status.value = status_html(f"the server has no fitting model for: {', '.join(unmet)}", kind="error")
        self._build_widgets(monitor, out_dir, boards)
        super().__init__(children=self._layout())
        self.add_class("invokekit-panel")

    # --- construction ---------------------------------------------------------------------------

    def _read_server(self) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
        """The server's schema, models and boards; a panel without them when the server is down."""
        try:
            context = self.client.context()  # schema, models and boards in one cached read
            return context, list(context.models or []), list(context.boards or [])
        except ServerUnavailable as exc:
            self.reachable = False
            self._show_error(exc, "could not read the server's schema")
            self.status.value = status_html(f"cannot reach {self.client.url}", kind="error")
        except Exception as exc:
            self._show_error(exc, "could not read the server's schema")
        return None, [], []

    def _alias_controls(self, context: Any, models: list[dict[str, Any]]) -> dict[str, Control]:
        """The familiar knobs; one the form shows uses the form's widget (one widget per place)."""
        main = model_field_accepts(self.workflow, context, "model", "main")
        vae = model_field_accepts(self.workflow, context, "vae", "vae")
        controls = build_controls(
            self.workflow,
            schedulers=scheduler_names(getattr(context, "schema", None)),
            main_models=model_options(models, *main),
            vae_models=model_options(models, *vae),
        )
        by_place = {tuple(f.name.rsplit(".", 1)): f for f in self.fields.values()}
        self._adopted: set[str] = set()
        for key, control in controls.items():
            if control.param is None:
                continue
            field = next((by_place[p] for p in self.workflow.places(control.param) if p in by_place), None)
            if field is not None and field.kind not in ("image", "video", "board", "json"):
                control.widget = field.value_widget
                self._adopted.add(key)
        return controls

    def _build_widgets(self, monitor: str, out_dir: str | Path | None, boards: list[dict[str, Any]]) -> None:
        self.random_seed = widgets.Checkbox(value=seed_is_random(self.workflow), description="random seed",
                                            indent=False, layout=widgets.Layout(width="140px"))
        self.batch_count = widgets.IntText(value=1, description="Batch count", style={"description_width": "110px"},
                                           layout=widgets.Layout(width="196px"))
        usable = [m for m in MONITORS if m != "db" or self.db_path is not None or self._has_database()]
        self.monitor = widgets.Dropdown(options=usable, value=monitor if monitor in usable else "auto",
                                        description="Monitor", layout=widgets.Layout(width="260px"))
        self.out_dir_box = widgets.Text(value=str(Path(out_dir)) if out_dir is not None else f"./{DEFAULT_OUT}",
                                        description="Output folder", style={"description_width": "110px"},
                                        layout=widgets.Layout(width=FORM_COLUMN))
        self.generate_button = widgets.Button(description="Generate", button_style="primary", icon="play")
        self.cancel_button = widgets.Button(description="Cancel", button_style="warning", icon="stop", disabled=True)
        self.save_button = widgets.Button(description="Save settings", icon="save",
                                          tooltip="save the workflow with these values into the output folder")
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, description="Progress",
                                              layout=widgets.Layout(width="100%", max_width="320px"))
        self.progress_label = widgets.HTML("")
        self.preview = widgets.Image(format="jpeg", layout=widgets.Layout(width="192px", display="none"))
        self.placeholder = widgets.HTML(PLACEHOLDER_HTML)
        self.gallery = Gallery(self.use_values)
        self.timings = widgets.HTML("")
        self.sweeper = SweepControls(self._sweepable())
        self.queue_view = QueueView(self.client, lambda: self.our_items)
        self.our_items: list[int] = []
        self.grid = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", display="none"))
        self.grid.add_class("invokekit-grid")
        self.note = widgets.HTML(cost_note({k: c.widget.value for k, c in self.controls.items() if c.param}))
        self.generate_button.on_click(lambda _b: self.generate())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.save_button.on_click(lambda _b: self.save())

    def _has_database(self) -> bool:
        try:
            return self.reachable and self.client.database().path is not None
        except Exception:
            return False

    def _layout(self) -> list[widgets.Widget]:
        c = {k: v.widget for k, v in self.controls.items() if k not in self._adopted}
        if self.fields:
            rest = [w for k, w in c.items() if self.controls[k].param is not None]
            form_part: list[widgets.Widget] = [self.form]
            extra = more_settings(rest)
            if extra is not None:
                form_part.append(extra)
        else:
            form_part = alias_rows(c)
        title = widgets.HTML(f"<b>{getattr(self.workflow, 'name', '') or 'workflow'}</b>")
        runs = widgets.VBox([widgets.HBox([self.batch_count, self.random_seed]), self.sweeper])
        buttons = widgets.HBox([self.generate_button, self.cancel_button, self.save_button])
        left = column([*form_part, self.note, runs, self.out_dir_box, advanced([self.monitor]), buttons,
                       self.status, self.error_box], FORM_COLUMN)
        right = column([self.progress, self.progress_label, self.placeholder, self.preview])
        return [
            title,
            widgets.HBox([left, right], layout=widgets.Layout(flex_flow="row wrap", width="100%")),
            widgets.HTML("<b>Results</b>"),
            self.grid,
            self.gallery,
            widgets.HTML("<b>Timings of the last run</b>"),
            self.timings,
            widgets.HTML("<b>Server queue</b>"),
            self.queue_view,
        ]

    # --- form helpers ---------------------------------------------------------------------------

    def labels(self) -> dict[str, str]:
        """Each settable name (alias or ``node-id.field``) to the label the panel shows it with."""
        names = {f.name: label for label, f in self.fields.items()}
        names.update({c.param: c.widget.description or k for k, c in self.controls.items() if c.param})
        return names

    def _sweepable(self) -> dict[str, str]:
        """What a sweep can vary: form fields and familiar knobs that take one plain value."""
        out = {label: f.name for label, f in self.fields.items()
               if f.kind in ("int", "float", "enum", "text", "textarea", "bool", "model")}
        for key, control in self.controls.items():
            if control.param and key not in self._adopted:
                out.setdefault(control.widget.description or key, control.param)
        return out

    def use_values(self, values: Mapping[str, Any]) -> None:
        """Put a run's values back into the controls ("use these settings" in the gallery)."""
        by_name = {f.name: f for f in self.fields.values()}
        for name, value in values.items():
            if name in by_name and by_name[name].kind not in ("image", "video", "json"):
                target = by_name[name].value_widget
            else:
                target = next((c.widget for c in self.controls.values() if c.param == name), None)
            if target is not None and value is not None:
                try:
                    target.value = value
                except Exception:
                    continue
        if "seed" in values:
            self.random_seed.value = False

    def _upload(self, control: FieldControl) -> None:
        """Send the picked file to the server's images and put its name into the field."""
        files = control.upload.value if control.upload is not None else ()
        if not files:
            return
        picked = files[0]
        try:
            content = bytes(picked["content"])
            media = self.client.images if control.kind == "image" else self.client.videos
            record = media.upload(content, filename=str(picked.get("name") or f"upload.{control.kind}"))
        except Exception as exc:
            self._show_error(exc, f"could not upload the {control.kind} for {control.label}")
            return
        control.value_widget.value = str(record[f"{control.kind}_name"])
        control.upload.value = ()  # the file is on the server now: not kept in the widget (nor the notebook)
        if control.thumbnail is not None:
            control.thumbnail.value = content
            control.thumbnail.layout.display = ""

    def save(self) -> Path | None:
        """Write the workflow with the panel's values into the output folder (a file InvokeAI loads)."""
        try:
            out = Path(self.out_dir_box.value or ".")
            out.mkdir(parents=True, exist_ok=True)
            name = "".join(ch if ch.isalnum() or ch in "-_ " else "_" for ch in self.workflow.name or "workflow")
            path = self.workflow.copy().set(self.values()).save(out / f"{name.strip() or 'workflow'}.json")
        except Exception as exc:
            self._show_error(exc, "could not save the settings")
            return None
        self.status.value = status_html(f"saved {path}", kind="ok")
        return Path(path)
