"""Presets as TOML files: saved whole, read back equal, listed, deleted; bad ones refused."""

from __future__ import annotations

import math
import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from invokekit.errors import ParameterError
from invokekit.explore import delete_preset, list_presets, load_preset, presets_dir, save_preset
from invokekit.explore._toml import dumps_flat


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("INVOKEKIT_PRESETS", str(tmp_path / "presets"))
    return tmp_path / "presets"


def test_where_presets_live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVOKEKIT_PRESETS", str(tmp_path / "p"))
    assert presets_dir() == tmp_path / "p"
    monkeypatch.delenv("INVOKEKIT_PRESETS")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert presets_dir() == tmp_path / "cfg" / "invokekit" / "presets"
    monkeypatch.delenv("XDG_CONFIG_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert presets_dir() == tmp_path / "home" / ".config" / "invokekit" / "presets"


def test_save_load_list_delete(folder: Path) -> None:
    values = {"seed": 7, "cfg_scale": 6.5, "positive_prompt": 'a "quoted" cat\nsecond line', "use_cache": False,
              "noise.seed": 3, "loras": ["a", "b"], "ünï": "cødé"}
    assert list_presets() == []
    path = save_preset("portrait", values)
    assert path == folder / "portrait.toml"
    assert load_preset("portrait") == values
    assert tomllib.loads(path.read_text(encoding="utf-8")) == values  # plain TOML anyone can read and edit
    assert path.read_text(encoding="utf-8").startswith("# invokekit preset 'portrait'")
    save_preset("a-first", {"steps": 4})
    (folder / "notes.txt").write_text("not a preset")
    assert list_presets() == ["a-first", "portrait"]
    assert load_preset(path) == values and load_preset(str(path)) == values  # a path works too
    save_preset("portrait", {"seed": 8})
    assert load_preset("portrait") == {"seed": 8}
    with pytest.raises(ParameterError, match="already exists"):
        save_preset("portrait", {"seed": 9}, overwrite=False)
    assert delete_preset("portrait") == path and not path.exists()
    assert sorted(os.listdir(folder)) == ["a-first.toml", "notes.txt"]  # no temporary files left


def test_missing_presets_suggest_the_saved_ones(folder: Path) -> None:
    save_preset("portrait", {"seed": 1})
    with pytest.raises(ParameterError, match=r"no preset 'portriat'.*did you mean 'portrait'") as info:
        load_preset("portriat")
    assert info.value.candidates == ["portrait"]
    with pytest.raises(ParameterError, match="no preset"):
        delete_preset("landscape")


@pytest.mark.parametrize("name", ["", "../x", "a/b", ".hidden", "-x", "a..b", "x" * 65, "a b", "trailing."])
def test_bad_names_are_refused(folder: Path, name: str) -> None:
    with pytest.raises(ParameterError, match="preset name"):
        save_preset(name, {"seed": 1})
    assert not folder.exists()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "at least one value"),
        ({"image": {"image_name": "x.png"}}, "this value is dict"),
        ({"seed": None}, "nothing \\(None\\)"),
        ({"seed": 2**64}, "64-bit"),
        ({"positive_prompt": "a\udcffcat"}, "lone surrogate"),
    ],
)
def test_values_toml_cannot_hold_flat_are_refused_before_writing(folder: Path, values: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        save_preset("p", values)
    assert not (folder / "p.toml").exists()


def test_broken_preset_files_name_the_file(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "bad.toml").write_text("seed = = 1\n")
    (folder / "table.toml").write_text("[section]\nseed = 1\n")
    (folder / "date.toml").write_text("when = 2024-01-01\n")
    for name, message in [("bad", "not valid TOML"), ("table", "flat values"), ("date", "not date")]:
        with pytest.raises(ParameterError, match=message) as info:
            load_preset(name)
        assert info.value.file == str(folder / f"{name}.toml")


scalars = (st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False)
           | st.text(st.characters(exclude_categories=("Cs",))))
flat_values = st.dictionaries(st.text(st.characters(exclude_categories=("Cs",)), min_size=1),
                              scalars | st.lists(scalars, max_size=4), max_size=8)


@given(flat_values)
def test_written_toml_reads_back_equal(values: dict) -> None:
    assert tomllib.loads(dumps_flat(values, header="a header\nsecond line")) == values


def test_special_floats() -> None:
    read = tomllib.loads(dumps_flat({"a": math.inf, "b": -math.inf, "c": math.nan, "d": 1e-20, "e": -0.0}))
    assert read["a"] == math.inf and read["b"] == -math.inf and math.isnan(read["c"]) and read["d"] == 1e-20
