"""Turning what a job produces (preview data URLs, image files, timings, errors) into widget values.

Kept apart from the panel so the conversions are plain functions that tests can call, and so the
panel module only wires widgets together.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets


def decode_data_url(data_url: str) -> tuple[bytes, str]:
    """Split a ``data:image/<fmt>;base64,...`` URL (as ``invocation_progress`` carries) into bytes and format.

    Raises ``ValueError`` for anything that is not a base64 image data URL.
    """
    header, sep, payload = data_url.partition(",")
    if not sep or not header.startswith("data:image/") or ";base64" not in header:
        raise ValueError(f"not a base64 image data URL: {data_url[:40]!r}")
    fmt = header[len("data:image/") :].split(";", 1)[0] or "png"
    return base64.b64decode(payload), fmt


def image_widget(path: Path, *, width: int = 192) -> widgets.Image:
    """An ``Image`` widget showing the file at ``path`` (its format taken from the suffix).

    No ``tooltip``: JupyterLab's widget manager cannot create the view of an ``Image`` that has one.
    """
    fmt = path.suffix.lstrip(".").lower() or "png"
    image = widgets.Image(value=path.read_bytes(), format="jpeg" if fmt == "jpg" else fmt)
    image.layout.width = f"{width}px"
    image.layout.margin = "2px"
    return image


def progress_text(fraction: float, elapsed: float, steps: int | None) -> str:
    """``step 3/10 - 2.1 s elapsed - about 4.9 s left`` (the step count when the steps are known)."""
    parts = []
    if steps:
        parts.append(f"step {min(steps, round(fraction * steps))}/{steps}")
    parts.append(f"{elapsed:.1f} s elapsed")
    if 0.02 < fraction < 1:
        parts.append(f"about {elapsed * (1 - fraction) / fraction:.1f} s left")
    return " - ".join(parts)


def _seconds(value: Any) -> str:
    if isinstance(value, int | float):
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    return html.escape(str(value))


def _flatten(prefix: str, value: Any, rows: list[tuple[str, Any]]) -> None:
    """Nested mappings become ``outer.inner`` rows; lists of mappings are named by their
    ``item_id`` (a per-item timing) or their position."""
    if isinstance(value, Mapping):
        for key, sub in value.items():
            if key == "item_id" and prefix:
                continue
            _flatten(f"{prefix}.{key}" if prefix else str(key), sub, rows)
    elif isinstance(value, list | tuple) and all(isinstance(v, Mapping) for v in value):
        for index, sub in enumerate(value):
            name = f"item {sub['item_id']}" if "item_id" in sub else f"{prefix}[{index}]"
            _flatten(name, sub, rows)
    else:
        rows.append((prefix, value))


def _timings_rows(data: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The rows a reader wants from ``Timings.as_dict()``: client stages, total, server means."""
    rows: list[tuple[str, Any]] = list(data["client"].items())
    rows.append(("total", data.get("total")))
    server = data.get("server") or {}
    count = len(data.get("items") or [])
    per = f" (mean of {count})" if count > 1 else ""
    rows += [
        (f"server: queued{per}", server.get("queued_mean")),
        (f"server: run{per}", server.get("run_mean")),
        (f"noticed after completion{per}", server.get("detect_latency_mean")),
    ]
    return rows


def timings_html(timings: Any) -> str:
    """An HTML table of the per-stage timings of a run.

    Accepts a :class:`invokekit.results.Timings` (anything with ``as_dict()``) or a plain mapping
    of stage name to seconds (nested mappings are flattened as ``outer.inner``). Objects without
    ``as_dict`` fall back to their ``table()`` text, then to ``str``.
    """
    if timings is None:
        return ""
    data: Any = timings
    if not isinstance(timings, Mapping):
        if hasattr(timings, "as_dict"):
            data = timings.as_dict()
        elif hasattr(timings, "table"):
            return f"<pre>{html.escape(str(timings.table()))}</pre>"
        else:
            return f"<pre>{html.escape(str(timings))}</pre>"
    rows: list[tuple[str, Any]] = []
    if isinstance(data, Mapping) and isinstance(data.get("client"), Mapping):
        rows = _timings_rows(data)
    else:
        _flatten("", data, rows)
    body = "".join(
        f"<tr><td style='padding:0 12px 0 0'>{html.escape(name)}</td>"
        f"<td style='text-align:right'>{_seconds(value)}</td></tr>"
        for name, value in rows
        if value is not None
    )
    return (
        "<table class='invokekit-timings'><thead><tr><th style='text-align:left'>stage</th>"
        f"<th style='text-align:right'>time</th></tr></thead><tbody>{body}</tbody></table>"
    )


def status_html(message: str, *, kind: str = "info") -> str:
    """One status line; ``kind`` is info, ok or error (errors in red, so they cannot be missed)."""
    color = {"info": "#444", "ok": "#1a7f37", "error": "#cf222e"}.get(kind, "#444")
    return f"<span class='invokekit-status invokekit-{kind}' style='color:{color}'>{html.escape(message)}</span>"


def error_html(exc: BaseException, *, short: int = 100) -> str:
    """The error of a failed run: one short, wrapped line, the whole message (with its line breaks)
    on demand, so a long message never squeezes the form."""
    text = f"{type(exc).__name__}: {exc}"
    first = text.splitlines()[0] if text else ""
    head = first if len(first) <= short else first[: short - 1] + "\u2026"
    if head == text:
        return (f"<div class='invokekit-error' style='color:#cf222e;white-space:normal;overflow-wrap:anywhere'>"
                f"{html.escape(text)}</div>")
    return (
        "<details class='invokekit-error' style='color:#cf222e;white-space:normal;overflow-wrap:anywhere'>"
        f"<summary>{html.escape(head)}</summary>"
        f"<pre style='white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0'>{html.escape(text)}</pre></details>"
    )


#: what an empty preview shows (an empty Image widget would show a broken-image icon)
PLACEHOLDER_HTML = (
    "<div class='invokekit-placeholder' style='width:192px;height:192px;border:1px dashed #bbb;"
    "display:flex;align-items:center;justify-content:center;color:#888;font-size:12px'>no image yet</div>"
)
