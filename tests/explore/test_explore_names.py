"""File names from templates: filled, made safe, never reused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invokekit.errors import ParameterError
from invokekit.explore import FileNamer, format_name, safe_file_name, unique_name
from invokekit.explore._names import default_template
from invokekit.results import check_image_name

VALUES = {"seed": 7, "cfg_scale": 7.5, "positive_prompt": "a red cat / on a mat", "noise.seed": 3,
          "model": {"key": "k1", "name": "tiny-sdxl", "base": "sdxl", "type": "main"}}


def test_template_is_filled_from_values_and_result_fields() -> None:
    assert format_name("{seed}-{cfg_scale}-{node}", VALUES, node="l2i") == "7-7.5-l2i"
    assert format_name("{seed:05d}_{cfg_scale:.2f}", VALUES) == "00007_7.50"
    assert format_name("{item_id}-{batch_id}-{index}", {}, item_id=12, batch_id="b1", index=0) == "12-b1-0"
    assert format_name("{noise.seed}-{model}", VALUES) == "3-tiny-sdxl"  # raw names; a model by its name
    assert format_name("{{seed}}", VALUES) == "{seed}"


@pytest.mark.parametrize(
    ("template", "message"),
    [
        ("{sede}", r"unknown placeholder \{sede\}; did you mean 'seed'"),
        ("{node}", "unknown placeholder"),  # no node given: not available
        ("{}", "every placeholder needs a name"),
        ("{seed", "malformed"),
        ("{positive_prompt:05d}", "does not fit the value"),
    ],
)
def test_bad_templates_list_the_available_names(template: str, message: str) -> None:
    with pytest.raises(ParameterError, match=message) as info:
        format_name(template, VALUES, item_id=1)
    assert info.value.candidates == sorted([*VALUES, "item_id"])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a red cat / on a mat", "a_red_cat_on_a_mat.png"),
        ("../../etc/passwd", "etc_passwd.png"),
        ("my..image", "my.image.png"),
        ("~root", "root.png"),
        (".hidden", "hidden.png"),
        ("-rf", "rf.png"),
        ("CON", "_CON.png"),
        ("nul.txt", "_nul.txt.png"),
        ('a<b>c:d"e|f?g*h', "a_b_c_d_e_f_g_h.png"),
        ("tab\there\nnew\x00line", "tab_here_new_line.png"),
        ("   ", "image.png"),
        ("trailing. ", "trailing.png"),
        ("ünïcødé katze", "ünïcødé_katze.png"),
    ],
)
def test_safe_file_names(text: str, expected: str) -> None:
    assert safe_file_name(text, ext=".png") == expected


@given(st.text(max_size=400))
def test_every_safe_name_passes_the_download_check(text: str) -> None:
    name = safe_file_name(text, ext=".png")
    assert check_image_name(name) == name
    assert len(name.encode("utf-8")) <= 150 and name.endswith(".png") and len(name) > len(".png")


def test_bad_extension_is_refused() -> None:
    with pytest.raises(ParameterError, match="file extension"):
        safe_file_name("x", ext="png/../")


def test_unique_name_never_reuses_a_taken_name_or_file(tmp_path: Path) -> None:
    assert unique_name("a.png", []) == "a.png"
    assert unique_name("a.png", ["a.png", "A-2.PNG"]) == "a-3.png"  # case-insensitive, like macOS and Windows
    (tmp_path / "b.png").write_bytes(b"x")
    assert unique_name("b.png", [], folder=tmp_path) == "b-2.png"
    assert unique_name("noext", ["noext"]) == "noext-2"
    long = "x" * 146 + ".png"
    assert len(unique_name(long, [long]).encode()) <= 150


def test_default_names_are_readable_and_unique(tmp_path: Path) -> None:
    assert default_template(["seed", "noise.cfg"]) == "{item_id}-{node}-seed={seed}-cfg={noise.cfg}"
    (tmp_path / "57-l2i-seed=7-cfg_scale=7.5.png").write_bytes(b"from an earlier run")
    namer = FileNamer(swept=["seed", "cfg_scale"], folder=tmp_path)
    first = namer.name(VALUES, node="l2i", item_id=57)
    second = namer.name(VALUES, node="l2i", item_id=57)  # one node, two images
    assert first == "57-l2i-seed=7-cfg_scale=7.5-2.png" and second == "57-l2i-seed=7-cfg_scale=7.5-3.png"
    assert namer.name({}, index=3) == "3.png"
    assert namer.name({}) == "image.png"


def test_default_name_keeps_long_prompts_short() -> None:
    namer = FileNamer(swept=["positive_prompt"])
    name = namer.name({"positive_prompt": "a very long prompt " * 20}, node="l2i", item_id=1)
    assert name == "1-l2i-positive_prompt=a_very_long_prompt_a_very_long.png"


def test_template_namer() -> None:
    namer = FileNamer("{seed}-{node}")
    assert [namer.name({"seed": 1}, node="l2i", ext=".webp") for _ in range(2)] == ["1-l2i.webp", "1-l2i-2.webp"]
