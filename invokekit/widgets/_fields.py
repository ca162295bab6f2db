"""One input widget per form field, chosen from the field's schema: what the workflow's author exposed.

A field's widget follows what the server's schema says it takes (integer bounds and
``multipleOf``, an ``enum``, a boolean, a model of given types and bases, a board, an image) and,
without a schema (server down), the kind of value the workflow holds. Every field is set by its
exact ``node-id.field`` name, so two fields labelled alike never collide.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as widgets

from invokekit.widgets._choices import model_options

_WIDE = "400px"
_SHORT = "196px"
#: the board choices InvokeAI's UI offers besides the server's boards
BOARD_AUTO, BOARD_NONE = "auto", "none"


@dataclass
class FieldControl:
    """The widget of one form field; ``kind`` says which (text, textarea, int, float, bool, enum,
    model, board, image, json); ``name`` is what ``workflow.set`` takes (``node-id.field``)."""

    label: str
    name: str
    kind: str
    widget: widgets.Widget
    value_widget: widgets.ValueWidget
    upload: widgets.FileUpload | None = None
    thumbnail: widgets.Image | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def value(self) -> Any:
        """The value to set: numbers and text as they are; a model or board by name; an image by name."""
        raw = self.value_widget.value
        if self.kind in ("image", "video"):
            return {f"{self.kind}_name": raw} if raw else None
        if self.kind == "json":
            return json.loads(raw) if raw.strip() else None
        return raw


def _simple(prop: Mapping[str, Any] | None) -> dict[str, Any]:
    """The branch of an ``anyOf`` a single widget can edit (a number, not a list of numbers)."""
    prop = dict(prop or {})
    for branch in prop.get("anyOf") or prop.get("oneOf") or []:
        if isinstance(branch, Mapping) and branch.get("type") in ("integer", "number", "string", "boolean"):
            return {**{k: v for k, v in prop.items() if k not in ("anyOf", "oneOf")}, **branch}
    return prop


def field_kind(field_name: str, value: Any, prop: Mapping[str, Any] | None, settings: Mapping[str, Any]) -> str:
    """Which widget fits: by the schema when known, else by the value the workflow holds."""
    text = json.dumps(prop or {})
    if field_name == "board" or "BoardField" in text:
        return "board"
    if "ImageField" in text or (isinstance(value, Mapping) and "image_name" in value):
        return "image"
    if "VideoField" in text or (isinstance(value, Mapping) and "video_name" in value):
        return "video"
    if (prop or {}).get("ui_model_type") or "ModelIdentifierField" in text or (
        isinstance(value, Mapping) and "key" in value and "base" in value
    ):
        return "model"
    simple = _simple(prop)
    kind = simple.get("type")
    if simple.get("enum"):
        return "enum"
    if kind == "boolean" or isinstance(value, bool):
        return "bool"
    if kind == "integer" or (kind is None and isinstance(value, int)):
        return "int"
    if kind == "number" or (kind is None and isinstance(value, float)):
        return "float"
    if kind == "string" or isinstance(value, str) or (prop is None and value is None):
        multiline = settings.get("component") == "textarea" or "prompt" in field_name or field_name == "value"
        return "textarea" if multiline else "text"
    return "json"


def _bounds(simple: Mapping[str, Any], whole: bool) -> tuple[float, float, float]:
    step = simple.get("multipleOf") or (1 if whole else 0.01)
    low = simple.get("minimum")
    if low is None and simple.get("exclusiveMinimum") is not None:
        low = simple["exclusiveMinimum"] + (step if whole else 0)
    high = simple.get("maximum")
    if high is None and simple.get("exclusiveMaximum") is not None:
        high = simple["exclusiveMaximum"] - (step if whole else 0.001)
    return (low if low is not None else -(2**31)), (high if high is not None else 2**32 - 1), step


def build_field(
    label: str,
    name: str,
    field_name: str,
    value: Any,
    prop: Mapping[str, Any] | None,
    settings: Mapping[str, Any],
    *,
    models: Sequence[Mapping[str, Any]] = (),
    boards: Sequence[Mapping[str, Any]] = (),
) -> FieldControl:
    """The control for one form field, started from the workflow's value."""
    kind = field_kind(field_name, value, prop, settings)
    simple = _simple(prop)
    style = {"description_width": "110px"}
    common: dict[str, Any] = {"description": label, "style": style}
    wide = widgets.Layout(width=_WIDE)
    if kind in ("text", "textarea"):
        cls = widgets.Textarea if kind == "textarea" else widgets.Text
        w: widgets.ValueWidget = cls(value=str(value or ""), layout=widgets.Layout(width=_WIDE), **common)
        if kind == "textarea":
            w.layout.height = "64px"
    elif kind == "enum":
        options = [str(v) for v in simple["enum"]]
        w = widgets.Dropdown(options=options, value=str(value) if str(value) in options else options[0],
                             layout=wide, **common)
    elif kind == "bool":
        w = widgets.Checkbox(value=bool(value), indent=False, layout=widgets.Layout(width=_WIDE), **common)
    elif kind in ("int", "float"):
        whole = kind == "int"
        low, high, step = _bounds(simple, whole)
        start = value if isinstance(value, int | float) and not isinstance(value, bool) else simple.get("default", low)
        start = min(max(start if start is not None else low, low), high)
        # not a Bounded* widget: it would silently clamp 0 steps to 1; the pipeline refuses out-of-range values
        cls = widgets.IntText if whole else widgets.FloatText
        w = cls(value=int(start) if whole else float(start), step=step,
                layout=widgets.Layout(width=_SHORT if len(label) < 12 else _WIDE), **common)
        w.tooltip = f"{low:g} to {high:g}" + (f", a multiple of {step:g}" if simple.get("multipleOf") else "")
    elif kind == "model":
        types = list((prop or {}).get("ui_model_type") or []) or ["main"]
        bases = (prop or {}).get("ui_model_base") or None
        options = model_options(models, types, bases)
        current = value.get("name") if isinstance(value, Mapping) else value
        start = current if current in options else (options[0] if options else None)
        w = widgets.Dropdown(options=options, value=start, layout=wide, **common)
        w.disabled = not options
        if not options:
            w.tooltip = "no fitting model on the server"
    elif kind == "board":
        names = [str(b.get("board_name")) for b in boards if b.get("board_name")]
        options = [BOARD_AUTO, BOARD_NONE, *sorted(set(names))]
        current = value.get("board_name") or value.get("board_id") if isinstance(value, Mapping) else value
        start = current if current in options else BOARD_AUTO
        w = widgets.Dropdown(options=options, value=start, layout=wide, **common)
    elif kind in ("image", "video"):
        return _media_field(label, name, value, kind)
    else:
        w = widgets.Text(value="" if value is None else json.dumps(value), layout=wide, **common)
    w.add_class(f"invokekit-field-{kind}")
    return FieldControl(label, name, kind, w, w)


def _media_field(label: str, name: str, value: Any, kind: str) -> FieldControl:
    """An image or video input: its server-side name, a thumbnail (images), and a file upload."""
    current = value.get(f"{kind}_name") if isinstance(value, Mapping) else None
    holder = widgets.Text(value=current or "", description=label, placeholder=f"upload a {kind}",
                          style={"description_width": "110px"}, layout=widgets.Layout(width="300px"))
    upload = widgets.FileUpload(accept=f"{kind}/*", multiple=False, description="Upload",
                                layout=widgets.Layout(width="96px"))
    thumbnail = widgets.Image(format="png", layout=widgets.Layout(width="64px", height="64px", display="none"))
    box = widgets.HBox([holder, upload, thumbnail] if kind == "image" else [holder, upload])
    box.add_class(f"invokekit-field-{kind}")
    return FieldControl(label, name, kind, box, holder, upload=upload, thumbnail=thumbnail if kind == "image" else None)
