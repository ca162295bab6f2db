"""Presets: saved from the CLI or from Python, applied by `run --preset` or `wf.apply`, the same values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from invokekit.cli import main
from invokekit.explore import load_preset, save_preset
from invokekit.workflow import Workflow

SDXL_FILE = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "workflows" / "default" / (
    "Text to Image - SDXL.json")


@pytest.fixture(autouse=True)
def presets_folder(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "presets"
    monkeypatch.setenv("INVOKEKIT_PRESETS", str(folder))
    return folder


def _nodes(wf: Workflow) -> dict:
    return wf.to_graph()["nodes"]


def test_a_preset_saved_from_the_cli_and_from_python_sets_the_same_values(presets_folder, capsys) -> None:
    argv = ["preset", "save", "shell", "--set", "cfg_scale=6", "--set", "steps=3", "--set", "positive_prompt=123"]
    assert main(argv) == 0
    assert capsys.readouterr().out.strip() == str(presets_folder / "shell.toml")
    assert load_preset("shell") == {"cfg_scale": 6, "steps": 3, "positive_prompt": 123}
    save_preset("notebook", {"cfg_scale": 6, "steps": 3, "positive_prompt": "123"})
    from_shell = Workflow.load(SDXL_FILE).apply("shell")
    from_python = Workflow.load(SDXL_FILE).apply("notebook")
    assert _nodes(from_shell) == _nodes(from_python)
    by_hand = Workflow.load(SDXL_FILE).set(cfg_scale=6, steps=3, positive_prompt="123")
    assert _nodes(from_shell) == _nodes(by_hand)  # a number where the field takes text is the text
    assert main(["preset", "list"]) == 0
    assert capsys.readouterr().out.split() == ["notebook", "shell"]
    assert main(["preset", "show", "shell"]) == 0
    assert json.loads(capsys.readouterr().out) == {"cfg_scale": 6, "steps": 3, "positive_prompt": 123}
    assert main(["preset", "delete", "shell"]) == 0 and not (presets_folder / "shell.toml").exists()


def test_an_unknown_preset_is_refused_before_anything_is_sent(capsys) -> None:
    assert main(["run", str(SDXL_FILE), "--url", "http://127.0.0.1:9", "--preset", "nope"]) == 2
    assert "no preset 'nope'" in capsys.readouterr().err


@pytest.mark.server
def test_run_with_a_preset_gives_the_values_wf_apply_gives(invokeai_sandbox, tmp_path, capsys) -> None:
    from invokekit.client import Client

    save_preset("tiny", {"model": "tiny-sdxl", "vae": "tiny-sdxl-vae", "width": 64, "height": 64, "steps": 2,
                         "cfg_scale": 4.5, "positive_prompt": "a preset"})
    argv = ["run", "Text to Image - SDXL", "--url", invokeai_sandbox.url, "--out", str(tmp_path), "--json",
            "--monitor", "api", "--preset", "tiny", "--set", "seed=9"]
    assert main(argv) == 0
    [item] = json.loads(capsys.readouterr().out)["items"]
    with Client(invokeai_sandbox.url) as client:
        wf = client.workflow("Text to Image - SDXL").apply("tiny").set(seed=9)
        batch = client.prepare(wf)
    assert {k: item["values"][k] for k in ("cfg_scale", "steps", "positive_prompt", "width", "model")} == {
        "cfg_scale": 4.5, "steps": 2, "positive_prompt": "a preset", "width": 64, "model": "tiny-sdxl"}
    for name, places in batch.value_places.items():
        node_id, field = places[0]
        shown = batch.graph["nodes"][node_id][field]
        assert item["values"][name] == (shown["name"] if isinstance(shown, dict) else shown)


@pytest.mark.server
def test_a_style_preset_from_the_server_wraps_the_prompts_as_the_ui_does(invokeai_sandbox, tmp_path, capsys) -> None:
    import uuid

    from invokekit.client import Client

    name = f"invokekit-style-{uuid.uuid4().hex[:8]}"
    data = {"name": name, "type": "user", "positive_prompt": "{prompt}, oil painting", "negative_prompt": "blurry"}
    with Client(invokeai_sandbox.url) as client:
        made = client.transport.raw("POST", "/api/v1/style_presets/", data={"data": json.dumps(data)}).json()
        try:
            argv = ["run", "Text to Image - SDXL", "--url", invokeai_sandbox.url, "--out", str(tmp_path), "--json",
                    "--monitor", "api", "--model", "tiny-sdxl", "--set", "vae=tiny-sdxl-vae", "--set", "width=64",
                    "--set", "height=64", "--set", "steps=2", "--set", "positive_prompt=a lighthouse",
                    "--style-preset", name]
            assert main(argv) == 0
            [item] = json.loads(capsys.readouterr().out)["items"]
            assert item["values"]["positive_prompt"] == "a lighthouse, oil painting"
            wf = client.workflow("Text to Image - SDXL").set(model="tiny-sdxl", vae="tiny-sdxl-vae",
                                                             positive_prompt="a cat")
            batch = client.prepare(wf, style_preset=name)
            [(node_id, field)] = batch.value_places["positive_prompt"][:1]
            assert batch.graph["nodes"][node_id][field] == "a cat, oil painting"
            with pytest.raises(Exception, match="no style preset"):
                client.prepare(wf, style_preset=name + "-missing")
        finally:
            client.transport.raw("DELETE", f"/api/v1/style_presets/i/{made['id']}")
