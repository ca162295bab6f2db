"""The panel's runs: collect the values, submit through the one pipeline, watch, show the outcome.

The job runs in a background thread, so the notebook kernel keeps answering (other cells run,
the Cancel button works) while the server generates. Every outcome, including errors, is shown
in the panel itself: a failed run must never leave a dead button and a traceback in a log.
"""

from __future__ import annotations

import contextlib
import threading
import time
from pathlib import Path
from typing import Any

from invokekit.api._items import CANCELED, COMPLETED, FAILED
from invokekit.errors import ServerUnavailable
from invokekit.monitors import StatusUpdate
from invokekit.widgets._controls import random_seed, values_to_set
from invokekit.widgets._render import (
    decode_data_url,
    error_html,
    progress_text,
    status_html,
    timings_html,
)
from invokekit.widgets._sweep import grid_png, item_values


class PanelRuns:
    """Generate, Cancel and the background run of :class:`GenerationPanel` (its widgets are set up there)."""

    # set up by GenerationPanel.__init__
    client: Any
    workflow: Any
    controls: dict[str, Any]
    fields: dict[str, Any]
    _thread: threading.Thread | None
    _cancel_requested: threading.Event
    _status_lock: threading.Lock  # the final status is never overwritten by a late update or "canceling..."

    def values(self) -> dict[str, Any]:
        """What the next run sets: the alias controls, then each form field by its exact name."""
        values = values_to_set(self.controls)
        adopted = {id(c.widget) for c in self.controls.values() if c.param is not None}
        for control in self.fields.values():
            if control.value_widget.disabled or id(control.value_widget) in adopted:
                continue
            value = control.value
            if value is not None or control.kind == "board":
                values[control.name] = value
        return values

    def _refusal(self) -> str | None:
        """A value the panel refuses before sending anything (shown, never silently changed)."""
        steps = self.controls.get("steps")
        if steps is not None and steps.param is not None and int(steps.widget.value) < 1:
            return f"Steps must be at least 1 (got {steps.widget.value})"
        if int(self.batch_count.value) < 1:
            return f"Batch count must be at least 1 (got {self.batch_count.value})"
        return None

    def generate(self) -> None:
        """Start one run with the current values in a background thread (ignored while one runs)."""
        if self.running:
            return
        self.error_box.value = ""
        self.timings.value = ""
        refusal = self._refusal()
        if refusal:
            self.state = "error"
            self.error = ValueError(refusal)
            self.status.value = status_html(refusal, kind="error")
            self.error_box.value = error_html(self.error)
            return
        if self.random_seed.value and self.controls["seed"].param is not None:
            self.controls["seed"].widget.value = random_seed()
        try:
            values = self.values()
            sweep = self.sweeper.spec(self.workflow)
        except Exception as exc:  # a JSON field that does not parse, a sweep without values
            self.state, self.error = "error", exc
            self.status.value = status_html(f"error: {exc}", kind="error")
            self.error_box.value = error_html(exc)
            return
        swept = {place for name in sweep for place in self.workflow.places(name)}
        for name in list(values):  # a swept place is set by the sweep only (an alias may name it too)
            if name in sweep or swept & set(self.workflow.places(name)):
                values.pop(name)
        self.state = "running"
        self.error = None
        self.job = None
        self.updates_seen = self.previews_seen = 0
        self._cancel_requested.clear()
        self.progress.value = 0.0
        self.progress.bar_style = ""
        self.generate_button.disabled = True
        self.cancel_button.disabled = False
        self.status.value = status_html("submitting...")
        self._started = time.monotonic()
        args = (values, sweep, self.monitor.value, int(self.batch_count.value))
        self._thread = threading.Thread(target=self._run, args=args, name="invokekit-panel", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        """Cancel the running job on the server; the run ends as ``canceled``."""
        if not self.running:
            return
        self._cancel_requested.set()
        self._say("canceling...")  # before the request: the run may end (canceled) before it returns
        job = self.job
        if job is not None:
            try:
                job.cancel()
            except Exception as exc:
                self._show_error(exc, "cancel failed")

    def wait(self, timeout: float | None = None) -> str:
        """Block until the current run has finished (for scripts and tests); return ``state``."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.state

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self, values: dict[str, Any], sweep: dict[str, list[Any]], monitor: str, runs: int) -> None:
        try:
            self.client.monitor_for(monitor, db_path=self.db_path).close()  # one that cannot work: refused now
            # the panel's values go on a copy; the same pipeline as code and the CLI (pre-flight first)
            self.job = self.client.submit(self.workflow, runs, sweep=sweep or None, sets=values)
            self.our_items.extend(self.job.item_ids)
            if self._cancel_requested.is_set():
                self.job.cancel()
            self._say(f"queued: item(s) {', '.join(map(str, self.job.item_ids))}")
            wait_kw: dict[str, Any] = {"monitor": monitor, "timeout": self.timeout, "on_update": self._on_update}
            if self.db_path is not None:
                wait_kw["db_path"] = str(self.db_path)
            self.results = list(self.job.wait(**wait_kw))
            self._show_results(values, sweep)
        except Exception as exc:
            if isinstance(exc, ServerUnavailable):
                self.reachable = False
            self.error = exc
            self.progress.bar_style = "danger"
            self.timings.value = ""
            reach = isinstance(exc, ServerUnavailable)
            self._finish("error", f"cannot reach {self.client.url}" if reach else f"error: {type(exc).__name__}")
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
                self.preview.layout.display = ""
                self.placeholder.layout.display = "none"
                self.previews_seen += 1
        text = f"item {update.item_id}: {update.status}"
        if update.message:
            text += f" - {update.message}"
        self._say(text)
        steps = self.controls.get("steps")
        total = int(steps.widget.value) if steps is not None and steps.param is not None else None
        self.progress_label.value = progress_text(self.progress.value, time.monotonic() - self._started, total)

    def _show_results(self, values: dict[str, Any], sweep: dict[str, list[Any]]) -> None:
        statuses = [getattr(r, "status", "?") for r in self.results]
        out = Path(self.out_dir_box.value or ".")
        paths = [Path(p) for p in self.job.download(out)] if COMPLETED in statuses else []
        self.images = paths + self.images
        labels = self.labels()
        cells: list[tuple[dict[str, Any], Path | None, str]] = []
        for result in reversed(self.results):  # newest first in the gallery, the first item last
            swept = dict(getattr(result, "values", None) or {}) if sweep else {}
            if sweep and not swept:
                swept = item_values(self.client, self.workflow, result.item_id, list(sweep))
            mine = [Path(r.path) for r in result.images if getattr(r, "path", None)]
            self.gallery.add(mine, {**values, **swept}, labels)
            cells.insert(0, (swept, mine[0] if mine else None, result.status))
        self.grid.value = grid_png(cells, list(sweep), labels) if sweep and paths else b""
        self.grid.layout.display = "" if sweep and paths else "none"
        if paths:
            self.preview.value, self.preview.format = paths[0].read_bytes(), paths[0].suffix.lstrip(".") or "png"
            self.preview.layout.display = ""
            self.placeholder.layout.display = "none"
        try:
            self.timings.value = timings_html(self.job.timings)
        except Exception as exc:
            self.timings.value = error_html(exc)
        failed = [r for r in self.results if getattr(r, "status", None) == FAILED]
        if failed:
            first = failed[0]
            self.progress.bar_style = "danger"
            self.error_box.value = error_html(RuntimeError(f"{first.error_type}: {first.error_message}"))
            self._finish("failed", f"item {first.item_id} failed")
        elif CANCELED in statuses:
            self.progress.bar_style = "warning"
            self._finish("canceled", "canceled")
        else:
            self.progress.value = 1.0
            self.progress.bar_style = "success"
            items = ", ".join(f"item {r.item_id}" for r in self.results)
            self._finish("completed", f"done: {items}: {len(paths)} image(s) in {out}", kind="ok")

    def _say(self, text: str) -> None:
        """A status line of the running run; once it has ended, its outcome stays."""
        with self._status_lock:
            if self.state == "running":
                self.status.value = status_html(text)

    def _finish(self, state: str, text: str, *, kind: str = "error") -> None:
        with self._status_lock:
            self.state = state
            self.status.value = status_html(text, kind=kind)

    def _show_error(self, exc: BaseException, context: str) -> None:
        """Add an error to the panel's error box (it must exist: it is created first)."""
        self.error = exc
        self.error_box.value += error_html(RuntimeError(f"{context}: {type(exc).__name__}: {exc}"))
