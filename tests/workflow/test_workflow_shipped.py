"""The 26 workflows InvokeAI ships: all convert via the CLI; goldens for SDXL; pre-flight on the incomplete ones."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from wfbuild import CANNY, COMPLETE, REFERENCE, SDXL, SHIPPED, SHIPPED_DIR, TINY_MODELS, context

from invokekit.cli import main
from invokekit.errors import PreflightError
from invokekit.workflow import Workflow

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("INVOKEKIT_UPDATE_GOLDEN") == "1"


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_cli_converts_every_shipped_workflow_offline(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(path)]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert set(graph) == {"id", "nodes", "edges"} and graph["nodes"]
    assert all(n["id"] == node_id for node_id, n in graph["nodes"].items())


def test_cli_convert_with_schema_and_sets(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["convert", str(SDXL), "--schema", str(REFERENCE / "openapi.json"), "--set", "seed=42",
            "--set", "positive_prompt=a red fox", "--set", "width=512"]
    assert main(argv) == 0
    out = capsys.readouterr()
    graph = json.loads(out.out)
    assert graph["nodes"]["55705012-79b9-4aac-9f26-c0b10309785b"]["seed"] == 42
    assert "Random Seed" in out.err and "pre-flight" in out.err  # the model is still unset


def test_cli_refuses_unknown_names_and_bad_values(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["convert", str(SDXL), "--set", "sed=1"]) == 2
    assert "unknown parameter 'sed'" in capsys.readouterr().err
    assert main(["convert", str(SDXL), "--schema", str(REFERENCE / "openapi.json"), "--set", "width=100"]) == 2
    assert "multiple of 8" in capsys.readouterr().err
    assert main(["convert", str(SDXL), "--set", "model=tiny-sdxl"]) == 2
    assert "needs the server's model list" in capsys.readouterr().err


def test_cli_params_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["params", str(SDXL)]) == 0
    out = capsys.readouterr().out
    assert "Positive Prompt.value" in out and "positive_prompt" in out and "random" in out
    assert "SDXL Positive Compel Prompt.prompt" not in out  # fed by an edge: only with --all
    assert main(["params", str(SDXL), "--all"]) == 0
    assert "SDXL Positive Compel Prompt.prompt" in capsys.readouterr().out


def _golden(name: str, data: dict) -> None:
    data = json.loads(json.dumps(data))
    if "graph" in data:
        data["graph"]["id"] = "<graph id>"
    else:
        data["id"] = "<graph id>"
    path = GOLDEN / f"{name}.json"
    if UPDATE:  # regenerating is asked for explicitly; a missing golden file is a failure, not a new golden
        path.write_text(json.dumps(data, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    assert path.exists(), f"golden file {path} is missing (INVOKEKIT_UPDATE_GOLDEN=1 writes it)"
    assert data == json.loads(path.read_text(encoding="utf-8")), f"differs from {path} (INVOKEKIT_UPDATE_GOLDEN=1)"


def test_golden_sdxl_text_to_image_as_shipped() -> None:
    _golden("text-to-image-sdxl.offline", Workflow.load(SDXL).to_graph())


def test_golden_sdxl_text_to_image_customised_batch() -> None:
    wf = Workflow.load(SDXL).set(model="tiny-sdxl", vae="tiny-sdxl-vae", positive_prompt="a lighthouse at dusk",
                                 negative_prompt="", width=256, height=256, steps=4, cfg_scale=5, scheduler="euler",
                                 seed=7)
    batch = wf.to_batch(context(models=TINY_MODELS, boards=[{"board_id": "b-1", "board_name": "Out"}]), runs=2,
                        sweep={"seed": [1, 2, 3]}, board="Out")
    assert wf.preflight(context(models=TINY_MODELS)) == []
    _golden("text-to-image-sdxl.batch", batch)


def test_golden_multidiffusion_sdxl_with_schema() -> None:
    _golden("multidiffusion-sdxl.schema", Workflow.load(SHIPPED_DIR / "MultiDiffusion SDXL.json").to_graph(context()))


INCOMPLETE = [p for p in SHIPPED if p.name not in COMPLETE]


def test_there_are_eight_complete_and_eighteen_incomplete_workflows() -> None:
    assert len(SHIPPED) == 26 and len(INCOMPLETE) == 18


@pytest.mark.parametrize("path", INCOMPLETE, ids=lambda p: p.stem)
def test_preflight_reports_what_invokeai_would_reject(path: Path) -> None:
    problems = Workflow.load(path).preflight(context())
    assert problems
    assert all(p.node_id and p.message for p in problems)
    text = "\n".join(map(str, problems))
    if path.name in CANNY:
        assert "node type 'canny_image_processor' does not exist on this server" in text
    elif path.name == "Prompt from File.json":
        assert any(p.field == "file_path" and "empty" in p.message for p in problems)
    else:
        assert any(p.field == "model" and "required input has no value" in p.message for p in problems)
    with pytest.raises(PreflightError) as err:
        Workflow.load(path).check(context())
    assert err.value.problems == problems and err.value.file == str(path)


def test_preflight_reports_every_problem_at_once_with_node_and_field() -> None:
    wf = Workflow.load(SDXL).set({"noise.width": 1001, "l2i.tile_size": 12})
    problems = wf.preflight(context(models=TINY_MODELS))
    fields = {(p.node_label, p.field) for p in problems}
    assert {("noise", "width"), ("l2i", "tile_size"), ("sdxl_model_loader", "model"),
            ("vae_loader", "vae_model")} <= fields


def test_preflight_flags_models_the_server_does_not_have() -> None:
    ident = {**TINY_MODELS[0], "key": "gone"}
    wf = Workflow.load(SDXL).set(model=ident, vae="tiny-sdxl-vae")
    problems = wf.preflight(context(models=TINY_MODELS))
    assert [p.message for p in problems if p.field == "model"] == [
        "model 'tiny-sdxl' (key gone) is not installed on this server"]


def test_preflight_reports_an_unknown_model_name_once() -> None:
    wf = Workflow.load(SDXL).set(vae="tiny-sdxl-vae")
    wf.set(model="nope")  # a name the server does not have: resolution fails at conversion
    problems = [p for p in wf.preflight(context(models=TINY_MODELS)) if p.field == "model"]
    assert len(problems) == 1 and "no model 'nope'" in problems[0].message
