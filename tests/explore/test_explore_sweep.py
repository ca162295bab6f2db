"""Sweep syntax: lists, ranges, JSON, files, CSV columns and Prompt S/R, with typed errors."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invokekit.errors import ParameterError
from invokekit.explore import parse_sweep


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1,2,3", [1, 2, 3]),
        ("1-10", list(range(1, 11))),
        ("1-10 (+2)", [1, 3, 5, 7, 9]),
        ("1-2 (+0.25)", [1.0, 1.25, 1.5, 1.75, 2.0]),
        ("0-1 (+0.1)", [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]),
        ("1-10 [5]", [1.0, 3.25, 5.5, 7.75, 10.0]),
        ("1-9 [5]", [1, 3, 5, 7, 9]),
        ("3-3", [3]),
        ("1-5 [1]", [1]),
        ("-5--1", [-5, -4, -3, -2, -1]),
        ("-2-2", [-2, -1, 0, 1, 2]),
        ("5-1", [5, 4, 3, 2, 1]),
        ("10-1 (-3)", [10, 7, 4, 1]),
        ("1 - 4 ( +2 )", [1, 3]),
        ("1-3,7,10-20 (+5)", [1, 2, 3, 7, 10, 15, 20]),
        ("1.5, 2, -0.5", [1.5, 2, -0.5]),
        ("1e-3-1e-2 [3]", [0.001, 0.0055, 0.01]),
        ("1.0-3.0", [1.0, 2.0, 3.0]),
    ],
)
def test_numbers_and_ranges(text: str, expected: list) -> None:
    values = parse_sweep("x", text)
    assert values == expected
    assert [type(v) for v in values] == [type(v) for v in expected]  # ints stay ints, floats floats


def test_float_steps_do_not_accumulate_error() -> None:
    # naive float accumulation gives 0.30000000000000004 and may miss (or overshoot) the end
    assert parse_sweep("denoise", "0.1-0.3 (+0.1)") == [0.1, 0.2, 0.3]
    assert parse_sweep("cfg", "0-1 (+0.1)")[-1] == 1.0
    assert len(parse_sweep("cfg", "0-1 (+0.01)")) == 101


@given(a=st.integers(-1000, 1000), b=st.integers(-1000, 1000), step=st.integers(1, 50))
def test_integer_ranges_match_python_ranges(a: int, b: int, step: int) -> None:
    signed = step if b >= a else -step
    expected = list(range(a, b + (1 if signed > 0 else -1), signed))
    assert parse_sweep("seed", f"{a}-{b} ({signed:+d})") == expected


@given(start=st.integers(-100, 100), count=st.integers(1, 40), hundredths=st.integers(1, 100))
def test_decimal_steps_land_exactly_on_the_end(start: int, count: int, hundredths: int) -> None:
    step = Decimal(hundredths) / 100
    end = Decimal(start) + step * (count - 1)
    values = parse_sweep("x", f"{start}.0-{end} (+{step})")
    assert len(values) == count
    assert values[-1] == float(end)
    assert values == [float(Decimal(start) + i * step) for i in range(count)]


def test_text_lists_and_quoted_csv() -> None:
    assert parse_sweep("positive_prompt", "a cat, a dog") == ["a cat", "a dog"]
    assert parse_sweep("positive_prompt", '"a cat, sitting",a dog') == ["a cat, sitting", "a dog"]
    assert parse_sweep("positive_prompt", '"say ""hi""",x') == ['say "hi"', "x"]
    # a list is numeric only when every value is: one word makes every value text
    assert parse_sweep("scheduler", "1-2,euler") == ["1-2", "euler"]


def test_kind_decides_what_the_field_takes() -> None:
    assert parse_sweep("seed", "1,2", kind="text") == ["1", "2"]
    assert parse_sweep("steps", "1-10 [4]", kind="integer") == [1, 4, 7, 10]
    assert parse_sweep("seed", "1-1000 [3]", kind="integer") == [1, 501, 1000]  # rounded half up
    assert parse_sweep("steps", "2.0,3", kind="integer") == [2, 3]
    assert parse_sweep("cfg", "[1, 2.5]", kind="number") == [1, 2.5]
    assert parse_sweep("steps", "[2.0, 3]", kind="integer") == [2, 3]


def test_json_lists_keep_json_types() -> None:
    assert parse_sweep("x", '["a, b", 1, 2.5, true, {"image_name": "i.png"}]') == [
        "a, b", 1, 2.5, True, {"image_name": "i.png"}]
    assert parse_sweep("positive_prompt", '["", "a cat"]') == ["", "a cat"]


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("", None, "at least one value"),
        ("1,,2", None, "value 2 of '1,,2' is empty"),
        ('"a,b', None, "cannot split"),
        ("abc", "number", "is not a number or a range"),
        ("1-2-3", "number", "a malformed range?"),
        ("1-10 (-2)", None, "never reaches its end"),
        ("10-1 (+2)", None, "never reaches its end"),
        ("1-3 (0)", None, "a step of 0"),
        ("1-5 [0]", None, "write [N] with N >= 1"),
        ("1-100000", None, "at most 10000"),
        ("1-3 [5]", "integer", "only 3 distinct integers"),
        ("1-2 (+0.5)", "integer", "fractional values"),
        ("2.5", "integer", "not a whole number"),
        ("[1,", None, "not a valid JSON list"),
        ("[]", None, "non-empty list"),
        ('{"a": 1}', "number", "is not a number"),
        ("[NaN]", None, "not a finite number"),
        ('["a", 1]', "number", "is not a number"),
        ("[1, 2.5]", "integer", "not a whole number"),
        ("[1]", "text", "is not text"),
        ("1e999", "number", "too large"),
        ("S/R:a,b", "number", "S/R works on text"),
        ("1,2", "boolean", "unknown kind"),
    ],
)
def test_malformed_values_are_typed_errors_naming_the_parameter(text: str, kind, message: str) -> None:
    with pytest.raises(ParameterError, match=message.replace("[", r"\[").replace("?", r"\?")) as info:
        parse_sweep("cfg_scale", text, kind=kind)
    assert info.value.field == "cfg_scale"
    assert "cfg_scale" in str(info.value)


def test_lone_surrogates_never_reach_a_sweep() -> None:
    # undecodable bytes on a command line arrive as lone surrogates; InvokeAI jams its queue on them
    for text in ["a\udcff cat", r'["\ud800"]']:
        with pytest.raises(ParameterError, match="lone surrogate"):
            parse_sweep("positive_prompt", text)


def test_prompt_search_and_replace() -> None:
    values = parse_sweep("positive_prompt", "S/R:cat, dog,fox", current="a cat on a cat mat")
    assert values == ["a cat on a cat mat", "a dog on a dog mat", "a fox on a fox mat"]
    assert parse_sweep("positive_prompt", 's/r:"red, fluffy","blue, sleek"', current="a red, fluffy cat") == [
        "a red, fluffy cat", "a blue, sleek cat"]


def test_search_term_missing_from_the_prompt_names_the_field() -> None:
    with pytest.raises(ParameterError, match="'cow' is not in the current value 'a cat'") as info:
        parse_sweep("positive_prompt", "S/R:cow,dog", current="a cat")
    assert info.value.field == "positive_prompt"
    with pytest.raises(ParameterError, match="needs the current value"):
        parse_sweep("positive_prompt", "S/R:cat,dog")


def test_prompt_list_files(tmp_path: Path) -> None:
    (tmp_path / "prompts.txt").write_text("# animals\na cat, sitting\n\n  a dog  \n#skip\nsteps: 3 # not a comment\n",
                                          encoding="utf-8")
    assert parse_sweep("positive_prompt", "@prompts.txt", base_dir=tmp_path) == [
        "a cat, sitting", "a dog", "steps: 3 # not a comment"]
    (tmp_path / "seeds.txt").write_text("1\n5-7\n", encoding="utf-8")
    assert parse_sweep("seed", f"@{tmp_path / 'seeds.txt'}") == [1, 5, 6, 7]  # absolute path, numbers


def test_csv_columns(tmp_path: Path) -> None:
    table = tmp_path / "table.csv"
    table.write_bytes('\ufeffprompt,seed\n"a cat, sitting",1\na dog,\n,3\n'.encode())  # BOM as Excel writes
    assert parse_sweep("positive_prompt", "@table.csv:prompt", base_dir=tmp_path) == ["a cat, sitting", "a dog"]
    assert parse_sweep("seed", "@table.csv:seed", base_dir=tmp_path) == [1, 3]
    (tmp_path / "t.tsv").write_text("p\tq\nx, y\t2\n", encoding="utf-8")
    assert parse_sweep("positive_prompt", "@t.tsv:p", base_dir=tmp_path) == ["x, y"]


@pytest.mark.parametrize(
    ("files", "text", "message"),
    [
        ({}, "@missing.txt", "no such file"),
        ({"empty.txt": "# only a comment\n\n"}, "@empty.txt", "holds no values"),
        ({"t.csv": "prompt,seed\na,1\n"}, "@t.csv:promt", "no column 'promt'.*did you mean 'prompt'"),
        ({"t.csv": "prompt,seed\na,1\n"}, "@t.csv", "name the column"),
        ({"t.csv": ""}, "@t.csv:x", "needs a header row"),
        ({"t.csv": "prompt\n\n"}, "@t.csv:prompt", "holds no values"),
        ({"t.csv": 'p\n"a\n'}, "@t.csv:p", "not a valid CSV file"),
        ({"bin.txt": b"\xff\xfe\x00bad"}, "@bin.txt", "not UTF-8"),
        ({"s.txt": "1\nx\n"}, "@s.txt", "'x' is not a number"),
    ],
)
def test_bad_files_are_errors_naming_the_file(tmp_path: Path, files: dict, text: str, message: str) -> None:
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    kind = "integer" if text == "@s.txt" else None
    with pytest.raises(ParameterError, match=message) as info:
        parse_sweep("positive_prompt", text, base_dir=tmp_path, kind=kind)
    assert info.value.field == "positive_prompt"
    assert info.value.file is not None and Path(info.value.file).parent == tmp_path


def test_a_folder_is_not_a_prompt_file(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="is a folder"):
        parse_sweep("positive_prompt", "@.", base_dir=tmp_path)


def test_kinds_come_from_the_servers_input_schemas() -> None:
    import json

    from invokekit.explore import kind_for_schema

    schemas = json.loads(Path("../shared/reference/invokeai-6.14.2/openapi.json").read_text())["components"]["schemas"]

    def kind(node: str, field: str):
        return kind_for_schema(schemas[node]["properties"][field])

    assert kind("NoiseInvocation", "seed") == "integer"
    assert kind("DenoiseLatentsInvocation", "steps") == "integer"
    assert kind("DenoiseLatentsInvocation", "cfg_scale") == "number"  # a number or a list of numbers
    assert kind("DenoiseLatentsInvocation", "denoising_start") == "number"
    assert kind("DenoiseLatentsInvocation", "scheduler") == "text"
    assert kind("SDXLCompelPromptInvocation", "prompt") == "text"
    assert kind("ImageBlurInvocation", "image") is None
    assert kind_for_schema(None) is None
    assert parse_sweep("scheduler", "euler,ddim", kind=kind("DenoiseLatentsInvocation", "scheduler")) == [
        "euler", "ddim"]
