"""Controls from the workflow's own form, built offline from the reference schema (no server)."""

from __future__ import annotations

import ipywidgets as widgets
import pytest
from formwf import FORM_KINDS, REFERENCE, SD15, SD15_KINDS, SHIPPED, form_builder_workflow

from invokekit.widgets._fields import build_field, field_kind
from invokekit.widgets._form import build_form
from invokekit.workflow import ServerContext, Workflow

MODELS = [
    {"key": "k1", "name": "tiny-sd15", "base": "sd-1", "type": "main"},
    {"key": "k2", "name": "tiny-sdxl", "base": "sdxl", "type": "main"},
    {"key": "k3", "name": "tiny-sdxl-vae", "base": "sdxl", "type": "vae"},
]
BOARDS = [{"board_id": "b1", "board_name": "Cats"}]


@pytest.fixture(scope="module")
def context() -> ServerContext:
    return ServerContext.from_schema_file(REFERENCE / "openapi.json")


def _walk(widget: widgets.Widget) -> list[widgets.Widget]:
    out = [widget]
    for child in getattr(widget, "children", ()):
        out += _walk(child)
    return out


def test_a_form_builder_form_is_laid_out_as_its_containers_say(context: ServerContext) -> None:
    wf = Workflow.load(form_builder_workflow(), context=context)
    tree, fields = build_form(wf, context, models=MODELS, boards=BOARDS)
    assert {label: f.kind for label, f in fields.items()} == FORM_KINDS
    assert list(fields) == list(FORM_KINDS), "in the form's order"
    assert isinstance(tree, widgets.VBox) and "invokekit-form-column" in tree._dom_classes
    rows = [w for w in _walk(tree) if isinstance(w, widgets.HBox) and "invokekit-form-row" in w._dom_classes]
    assert [[c.description for c in row.children] for row in rows] == [["Width", "Height"], ["Steps", "CFG Scale"]]
    html = [w.value for w in _walk(tree) if isinstance(w, widgets.HTML)]
    assert any("Image to image" in h and "<h4" in h for h in html)
    assert any("Repaint an image of yours." in h for h in html)
    assert sum("<hr" in h for h in html) == 2


def test_each_field_gets_the_widget_of_its_type_and_constraints(context: ServerContext) -> None:
    wf = Workflow.load(form_builder_workflow(), context=context)
    _, fields = build_form(wf, context, models=MODELS, boards=BOARDS)
    assert isinstance(fields["Positive Prompt"].widget, widgets.Textarea)
    assert isinstance(fields["Width"].widget, widgets.IntText) and fields["Width"].widget.step == 8
    assert "multiple of 8" in fields["Width"].widget.tooltip
    assert isinstance(fields["Fp32"].widget, widgets.Checkbox)
    scheduler = fields["Scheduler"].widget
    assert isinstance(scheduler, widgets.Dropdown) and {"euler", "ddim"} <= set(scheduler.options)
    assert list(fields["Model"].widget.options) == ["tiny-sd15"], "main models of the field's base only"
    assert list(fields["Board"].widget.options) == ["auto", "none", "Cats"]
    start = fields["Denoising Start"].widget
    assert isinstance(start, widgets.FloatText) and start.value == 0.5 and "0 to 1" in start.tooltip
    image = fields["Initial image"]
    assert image.upload is not None and image.thumbnail is not None and image.value is None
    image.value_widget.value = "abc.png"
    assert image.value == {"image_name": "abc.png"}
    assert fields["Width"].name.endswith(".width") and fields["Steps"].value == 3


def test_schema_3_exposed_fields_are_the_form(context: ServerContext) -> None:
    wf = Workflow.load(SD15, context=context)
    _, fields = build_form(wf, context, models=MODELS, boards=[])
    assert {label: f.kind for label, f in fields.items()} == SD15_KINDS


def test_a_workflow_without_form_or_exposed_fields_has_no_form_fields(context: ServerContext) -> None:
    raw = form_builder_workflow()
    del raw["form"]
    wf = Workflow.load(raw, context=context)
    tree, fields = build_form(wf, context, models=MODELS, boards=[])
    assert fields == {} and tree.children == ()


def test_without_a_schema_the_kind_comes_from_the_value() -> None:
    assert field_kind("steps", 4, None, {}) == "int"
    assert field_kind("cfg_scale", 7.5, None, {}) == "float"
    assert field_kind("fp32", True, None, {}) == "bool"
    assert field_kind("prompt", "a cat", None, {}) == "textarea"
    assert field_kind("board", None, None, {}) == "board"
    assert field_kind("image", {"image_name": "x.png"}, None, {}) == "image"
    assert field_kind("model", {"key": "k", "base": "sd-1", "name": "m", "type": "main"}, None, {}) == "model"
    control = build_field("Steps", "n.steps", "steps", 0, None, {})
    assert control.widget.value == 0, "never clamped: 0 steps is refused visibly at Generate"


@pytest.mark.parametrize("path", sorted(SHIPPED.glob("*.json")), ids=lambda p: p.stem)
def test_every_shipped_workflow_gets_a_control_for_every_form_field(context: ServerContext, path) -> None:
    wf = Workflow.load(path, context=context)
    _, fields = build_form(wf, context, models=MODELS, boards=BOARDS)
    wanted = [p for p in wf.parameters if p.in_form]
    assert len(fields) == len(wanted)
    assert all(f.kind != "json" for f in fields.values()), {k: f.kind for k, f in fields.items()}
