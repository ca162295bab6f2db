"""`invokekit run` for exploring: values on every result, readable names, sidecars, grids (real sandbox)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from invokekit.cli import main
from invokekit.explore import read_grid_info
from invokekit.results import read_journal

SDXL = "Text to Image - SDXL"


def sdxl_args(sandbox, out: Path, *extra: str) -> list[str]:
    return [
        "run", SDXL, "--url", sandbox.url, "--db", str(sandbox.db_path), "--out", str(out), "--json",
        "--monitor", "api", "--model", "tiny-sdxl", "--set", "vae=tiny-sdxl-vae",
        "--set", "positive_prompt=a lighthouse", "--set", "width=64", "--set", "height=64", "--set", "steps=2",
        *extra,
    ]  # fmt: skip


@pytest.mark.server
def test_a_swept_run_names_values_files_sidecars_and_a_grid(invokeai_sandbox, tmp_path, capsys) -> None:
    argv = sdxl_args(invokeai_sandbox, tmp_path, "--sweep", "seed=1,2", "--sweep", "cfg_scale=3,7",
                     "--grid", "x=seed,y=cfg_scale")
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    items = report["items"]
    assert [(i["values"]["seed"], i["values"]["cfg_scale"]) for i in items] == [(1, 3), (1, 7), (2, 3), (2, 7)]
    assert all(i["values"]["model"] == "tiny-sdxl" and i["values"]["positive_prompt"] == "a lighthouse"
               for i in items)
    paths = [Path(i["images"][0]["path"]) for i in items]
    assert [p.name for p in paths] == [f"{i['item_id']}-l2i-seed={s}-cfg_scale={c}.png"
                                       for i, (s, c) in zip(items, [(1, 3), (1, 7), (2, 3), (2, 7)], strict=True)]
    for item, path in zip(items, paths, strict=True):
        sidecar = json.loads(Path(item["images"][0]["sidecar"]).read_text())
        assert sidecar["values"] == item["values"] and sidecar["item_id"] == item["item_id"]
        assert sidecar["batch_id"] == report["batch_id"] and sidecar["server_version"]
        assert sidecar["image_name"] == item["images"][0]["image_name"]
        assert {m["name"] for m in sidecar["models"]} == {"tiny-sdxl", "tiny-sdxl-vae"}
        assert all(m["hash"] for m in sidecar["models"])
        assert Image.open(path).size == (64, 64)
    [grid] = report["grids"]
    assert Path(grid) == tmp_path / "grid.png"
    with Image.open(grid) as image:
        assert image.width > 2 * 64 and image.height > 2 * 64  # two cells each way, plus legends
        assert image.width < 2 * 64 + 200 and image.height < 2 * 64 + 200
    info = read_grid_info(grid)
    assert info["x"] == {"name": "seed", "values": [1, 2]} and info["y"] == {"name": "cfg_scale", "values": [3, 7]}
    [entry] = read_journal(tmp_path / "invokekit-journal.jsonl")
    assert entry.swept == ["seed", "cfg_scale"] and entry.values["positive_prompt"] == "a lighthouse"
    assert entry.places["seed"] and entry.places["cfg_scale"]
    journal_values = [json.loads(line) for line in (tmp_path / "invokekit-journal.jsonl").read_text().splitlines()]
    [values] = [r["values"] for r in journal_values if r["event"] == "values"]
    assert values == {str(i["item_id"]): i["values"] for i in items}


@pytest.mark.server
def test_a_name_template_and_a_second_run_never_overwrite(invokeai_sandbox, tmp_path, capsys) -> None:
    argv = sdxl_args(invokeai_sandbox, tmp_path, "--sweep", "seed=5,6", "--set", "cfg_scale=4.5",
                     "--name", "{seed}-{cfg_scale}-{node}")
    assert main(argv) == 0
    first = [Path(i["images"][0]["path"]).name for i in json.loads(capsys.readouterr().out)["items"]]
    assert first == ["5-4.5-l2i.png", "6-4.5-l2i.png"]
    assert main(argv) == 0
    second = [Path(i["images"][0]["path"]).name for i in json.loads(capsys.readouterr().out)["items"]]
    assert second == ["5-4.5-l2i-2.png", "6-4.5-l2i-2.png"]
    assert len(list(tmp_path.glob("*.png.json"))) == 4


@pytest.mark.server
def test_a_name_template_with_an_unknown_placeholder_is_refused_before_the_post(invokeai_sandbox, tmp_path,
                                                                                capsys) -> None:
    argv = sdxl_args(invokeai_sandbox, tmp_path, "--sweep", "seed=5,6", "--name", "{seed}-{cfg_scalee}")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "{cfg_scalee}" in err and "submitted" not in err


def test_a_bad_grid_option_is_refused_before_anything_is_sent(tmp_path, capsys) -> None:
    argv = ["run", SDXL, "--url", "http://127.0.0.1:9", "--out", str(tmp_path), "--grid", "w=seed"]
    assert main(argv) == 2
    assert "--grid" in capsys.readouterr().err


@pytest.mark.server
def test_zipped_sweeps_prompt_files_and_ranges_go_in_one_batch(invokeai_sandbox, tmp_path, capsys) -> None:
    prompts = tmp_path / "prompts.txt"
    prompts.write_text("a red cat\na blue dog\n")
    argv = sdxl_args(invokeai_sandbox, tmp_path, "--zip", "seed=11,12", "--zip", f"positive_prompt=@{prompts}",
                     "--sweep", "cfg_scale=3-4 [2]")
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    got = [(i["values"]["seed"], i["values"]["positive_prompt"], i["values"]["cfg_scale"]) for i in report["items"]]
    assert sorted(got) == sorted([(11, "a red cat", 3.0), (11, "a red cat", 4.0),
                                  (12, "a blue dog", 3.0), (12, "a blue dog", 4.0)])


@pytest.mark.server
def test_a_search_and_replace_axis_varies_the_prompt_that_was_set(invokeai_sandbox, tmp_path, capsys) -> None:
    argv = sdxl_args(invokeai_sandbox, tmp_path, "--sweep", "positive_prompt=S/R:lighthouse,castle")
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert [i["values"]["positive_prompt"] for i in report["items"]] == ["a lighthouse", "a castle"]


@pytest.mark.server
def test_dynamic_prompts_expand_into_one_batch_whose_values_hold_each_prompt(invokeai_sandbox, tmp_path,
                                                                             capsys) -> None:
    argv = sdxl_args(invokeai_sandbox, tmp_path, "--set", "positive_prompt=a {red|blue} cat", "--dynamic-prompts")
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(i["values"]["positive_prompt"] for i in report["items"]) == ["a blue cat", "a red cat"]
    assert len({i["images"][0]["image_name"] for i in report["items"]}) == 2


@pytest.mark.server
def test_random_dynamic_prompts_with_a_seed_are_the_same_twice(invokeai_sandbox, tmp_path) -> None:
    from invokekit.client import Client
    from invokekit.explore import DynamicPrompts

    with Client(invokeai_sandbox.url) as client:
        def prompts() -> list[str]:
            batch = client.prepare(SDXL, sets={"model": "tiny-sdxl", "vae": "tiny-sdxl-vae",
                                               "positive_prompt": "a {red|blue|green|pink|gold} {cat|dog|fox}"},
                                   dynamic_prompts=DynamicPrompts(random=True, seed=42, max_prompts=3))
            assert batch.swept == ["positive_prompt"]
            places = {tuple(p) for p in batch.value_places["positive_prompt"]}
            [entry, *_] = [e for d in batch.data for e in d if (e["node_path"], e["field_name"]) in places]
            return list(entry["items"])

        first, second = prompts(), prompts()
        assert first == second and 1 <= len(first) <= 3
        assert all(p.startswith("a ") and "{" not in p for p in first)


def _graph_of(path: str) -> dict:
    with Image.open(path) as image:
        return json.loads(image.text["invokeai_graph"])


@pytest.mark.server
def test_an_image_made_by_run_is_made_again_from_the_image_with_only_the_seed_changed(invokeai_sandbox, tmp_path,
                                                                                      capsys) -> None:
    assert main(sdxl_args(invokeai_sandbox, tmp_path, "--sweep", "seed=5,6")) == 0
    made = json.loads(capsys.readouterr().out)["items"][1]  # the second of a sweep: its own seed, 6
    assert made["values"]["seed"] == 6
    argv = ["run", "--from", made["images"][0]["path"], "--url", invokeai_sandbox.url, "--out", str(tmp_path),
            "--json", "--monitor", "api", "--set", "seed=17"]
    assert main(argv) == 0
    [again] = json.loads(capsys.readouterr().out)["items"]
    before, after = _graph_of(made["images"][0]["path"]), _graph_of(again["images"][0]["path"])
    assert before["edges"] == after["edges"] and set(before["nodes"]) == set(after["nodes"])
    changed = {(n, k): (before["nodes"][n].get(k), after["nodes"][n].get(k))
               for n in before["nodes"] for k in set(before["nodes"][n]) | set(after["nodes"][n])
               if before["nodes"][n].get(k) != after["nodes"][n].get(k)}
    assert list(changed.values()) == [(6, 17)] and again["values"]["seed"] == 17


def test_run_from_something_that_is_not_an_invokeai_image_is_refused(tmp_path, capsys) -> None:
    plain = tmp_path / "plain.png"
    Image.new("RGB", (4, 4)).save(plain)
    argv = ["run", "--from", str(plain), "--url", "http://127.0.0.1:9", "--out", str(tmp_path)]
    assert main(argv) == 2
    assert "invokeai_workflow" in capsys.readouterr().err
    assert main(["run", "--url", "http://127.0.0.1:9"]) == 2


@pytest.mark.server
def test_with_metadata_the_server_returns_each_images_generation_metadata(invokeai_sandbox, tmp_path,
                                                                          capsys) -> None:
    from invokekit.client import Client

    assert main(sdxl_args(invokeai_sandbox, tmp_path, "--sweep", "seed=21,22", "--set", "cfg_scale=5",
                          "--metadata")) == 0
    items = json.loads(capsys.readouterr().out)["items"]
    with Client(invokeai_sandbox.url) as client:
        for item in items:
            meta = client.images.metadata(item["images"][0]["image_name"])
            assert meta is not None
            assert meta["seed"] == item["values"]["seed"] and meta["cfg_scale"] == 5
            assert meta["positive_prompt"] == "a lighthouse" and meta["steps"] == 2
            assert meta["model"]["name"] == "tiny-sdxl" and meta["vae"]["name"] == "tiny-sdxl-vae"
            with Image.open(item["images"][0]["path"]) as image:
                assert json.loads(image.text["invokeai_metadata"])["seed"] == item["values"]["seed"]


@pytest.mark.server
def test_without_metadata_the_graph_has_no_metadata_node(invokeai_sandbox) -> None:
    from invokekit.client import Client

    with Client(invokeai_sandbox.url) as client:
        wf = client.workflow(SDXL).set(model="tiny-sdxl", vae="tiny-sdxl-vae")
        plain, with_meta = client.prepare(wf), client.prepare(wf, metadata=True)
    assert "core_metadata" not in plain.graph["nodes"]
    assert not any(e["destination"]["field"] == "metadata" for e in plain.graph["edges"])
    extra = {k: v for k, v in with_meta.graph["nodes"].items() if k not in plain.graph["nodes"]}
    assert list(extra) == ["core_metadata"] and extra["core_metadata"]["type"] == "core_metadata"
    assert {n: {k: v for k, v in node.items()} for n, node in with_meta.graph["nodes"].items()
            if n != "core_metadata"} == plain.graph["nodes"]
