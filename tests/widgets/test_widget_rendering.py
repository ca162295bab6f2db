"""The panel's pure helpers: data URLs, timing tables, server-derived choices (no server needed)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from invokekit.widgets._choices import model_field_accepts, model_options, scheduler_names
from invokekit.widgets._render import decode_data_url, error_html, image_widget, status_html, timings_html

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "invokeai-6.14.2"


def test_decode_data_url_of_a_real_progress_event() -> None:
    events = json.loads((REFERENCE / "sdxl-socket-events.json").read_text())
    previews = [
        e["data"]["image"]["dataURL"] for e in events if e["event"] == "invocation_progress" and e["data"].get("image")
    ]
    assert previews, "the recorded SDXL run has progress events with preview images"
    data, fmt = decode_data_url(previews[-1])
    assert fmt == "jpeg"
    assert data[:3] == b"\xff\xd8\xff"  # a JPEG


@pytest.mark.parametrize("bad", ["", "hello", "data:text/plain;base64,aGk=", "data:image/png,raw"])
def test_decode_data_url_rejects_what_is_not_a_base64_image(bad: str) -> None:
    with pytest.raises(ValueError):
        decode_data_url(bad)


def test_scheduler_names_come_from_the_servers_schema() -> None:
    schema = json.loads((REFERENCE / "openapi.json").read_text())
    names = scheduler_names(schema)
    assert "euler" in names and "dpmpp_2m_sde_k" in names
    assert len(names) == len(set(names))
    assert scheduler_names(None) == []
    assert scheduler_names({"components": {"schemas": {}}}) == []


def test_model_options_filter_by_type_and_base() -> None:
    models = json.loads((REFERENCE / "models-list.json").read_text())["models"]
    models = [
        *models,
        {"name": "tiny-sdxl-vae", "type": "vae", "base": "sdxl"},
        {"name": "x", "type": "main", "base": "sd-1"},
    ]
    assert model_options(models, "main") == ["tiny-sdxl", "x"]
    assert model_options(models, "main", base="sdxl") == ["tiny-sdxl"]
    assert model_options(models, "vae") == ["tiny-sdxl-vae"]
    assert model_options(models, "lora") == []


def test_timings_html_renders_nested_stages_and_items() -> None:
    html = timings_html(
        {
            "client": {"convert": 0.0123, "submit": 0.5, "wait": 2.25},
            "total": 2.7623,
            "server": {"run_mean": 1.5, "queued_mean": None},
            "items": [{"item_id": 7, "run": 1.5}],
        }
    )
    assert "<table" in html
    assert ">convert<" in html and "12 ms" in html
    assert ">wait<" in html and "2.25 s" in html
    assert "server: run" in html and "1.50 s" in html
    assert "server: queued" not in html  # unknown values are left out, not shown as None
    assert timings_html(None) == ""


def test_timings_html_flattens_other_mappings() -> None:
    html = timings_html({"a": {"b": 0.5}, "items": [{"item_id": 7, "run": 1.5}]})
    assert "a.b" in html and "500 ms" in html
    assert "item 7.run" in html


def test_timings_html_uses_as_dict_of_a_timings_object() -> None:
    from invokekit.results import Timings

    timings = Timings()
    timings.add("submit", 0.25)
    assert "submit" in timings_html(timings)


def test_status_and_error_html_escape_text() -> None:
    assert "&lt;b&gt;" in status_html("<b>", kind="error")
    html = error_html(ValueError("node 'x' <bad>"))
    assert "ValueError" in html and "&lt;bad&gt;" in html


def test_image_widget_reads_the_file(tmp_path: Path) -> None:
    png = tmp_path / "a.png"
    png.write_bytes(
        base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        )
    )
    widget = image_widget(png, width=100)
    assert widget.value == png.read_bytes()
    assert widget.format == "png"
    assert widget.layout.width == "100px"


def test_model_field_accepts_reads_the_schemas_model_base() -> None:
    from invokekit.workflow import ServerContext, Workflow

    context = ServerContext.from_schema_file(REFERENCE / "openapi.json")
    shipped = REFERENCE.parents[1] / "fixtures" / "workflows" / "default"
    sdxl = Workflow.load(shipped / "Text to Image - SDXL.json")
    assert model_field_accepts(sdxl, context, "model", "main") == (["main"], ["sdxl"])
    types, bases = model_field_accepts(sdxl, context, "vae", "vae")
    assert types == ["vae"] and bases is not None and "sdxl" in bases
    flux = Workflow.load(shipped / "Flux Text to Image.json")
    assert model_field_accepts(flux, context, "model", "main")[1] == ["flux"]
    # without a schema: any base of the default type
    assert model_field_accepts(sdxl, None, "model", "main") == (["main"], None)


def test_a_long_error_is_one_short_line_with_the_details_on_demand() -> None:
    long = ValueError("x" * 300 + "\nsecond line")
    html = error_html(long)
    assert html.startswith("<details") and "<summary>ValueError: " in html and "second line" in html
    summary = html.split("<summary>", 1)[1].split("</summary>", 1)[0]
    assert len(summary) <= 100 and summary.endswith("\u2026")
    assert not error_html(ValueError("short")).startswith("<details")


def test_progress_text_counts_steps_and_estimates_the_rest() -> None:
    from invokekit.widgets._render import progress_text

    assert progress_text(0.5, 2.0, 10) == "step 5/10 - 2.0 s elapsed - about 2.0 s left"
    assert progress_text(1.0, 3.0, None) == "3.0 s elapsed"


def test_a_costly_start_gets_a_note() -> None:
    from invokekit.widgets._layout import cost_note

    assert "1024x1024 at 32 steps" in cost_note({"width": 1024, "height": 1024, "steps": 32})
    assert cost_note({"width": 128, "height": 128, "steps": 4}) == ""
    assert cost_note({"steps": 4}) == ""


def test_gallery_cards_caption_open_full_size_and_reuse(tmp_path: Path) -> None:
    from invokekit.widgets._gallery import Gallery

    png = tmp_path / "a.png"
    png.write_bytes(
        base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
        )
    )
    used: list[dict[str, object]] = []
    gallery = Gallery(lambda values: used.append(dict(values)))
    gallery.add([png], {"n.steps": 4, "seed": 7}, {"n.steps": "Steps", "seed": "Seed"})
    [card] = gallery.cards.children
    assert "Steps=4, Seed=7" in card.children[1].value
    full, reuse = card.children[2].children
    assert gallery.viewer.layout.display == "none"
    full.click()
    assert gallery.viewer.layout.display == "" and gallery.viewer.value == png.read_bytes()
    gallery.close_button.click()
    assert gallery.viewer.layout.display == "none"
    reuse.click()
    assert used == [{"n.steps": 4, "seed": 7}]
