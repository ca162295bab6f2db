"""Parameters and aliases: on the shipped "Text to Image - SDXL" and on a typical hand-built SDXL workflow."""

from __future__ import annotations

import pytest
from wfbuild import MISSING, SDXL, SHIPPED_DIR, TINY_MODELS, context, edge, node, workflow

from invokekit.errors import ParameterError
from invokekit.workflow import Workflow

POS = "ade2c0d3-0384-4157-b39b-29ce429cfa15"  # string node "Positive Prompt"
NEG = "719dabe8-8297-4749-aea1-37be301cd425"  # string node "Negative Prompt"
NOISE = "55705012-79b9-4aac-9f26-c0b10309785b"
RAND = "ea94bc37-d995-4a83-aa99-4af42479f2f2"
DENOISE = "50a36525-3c0a-4cc5-977c-e4bfc3fd6dfb"
POS_COND = "faf965a4-7530-427b-b1f3-4ba6505c2a08"


def param(wf: Workflow, node_id: str, field: str):
    return next(p for p in wf.parameters if p.node_id == node_id and p.field == field)


def test_parameter_listing_marks_form_fields_edges_and_aliases() -> None:
    wf = Workflow.load(SDXL)
    pos = param(wf, POS, "value")
    assert (pos.label, pos.in_form, pos.connected) == ("Positive Prompt", True, False)
    assert pos.aliases == ("positive_prompt",)
    assert pos.value.startswith("Super cute tiger cub") and pos.name == "Positive Prompt.value"
    fed = param(wf, POS_COND, "prompt")
    assert fed.connected and not fed.settable and fed.aliases == ()
    seed = param(wf, NOISE, "seed")
    assert seed.connected and seed.random and seed.settable and seed.aliases == ("seed",)
    assert {p.label for p in wf.parameters if p.in_form} == {"Positive Prompt", "Negative Prompt", "Model",
                                                             "VAE (use the FP16 model)", "Board"}


def test_prompt_aliases_follow_string_and_string_join_to_the_prompt_nodes() -> None:
    wf = Workflow.load(SDXL)
    assert wf.aliases["positive_prompt"] == [(POS, "value")]
    assert wf.aliases["negative_prompt"] == [(NEG, "value")]
    nodes = wf.set(positive_prompt="a lighthouse").to_graph()["nodes"]
    assert nodes[POS]["value"] == "a lighthouse"


def test_width_touches_noise_and_both_sdxl_conditionings() -> None:
    wf = Workflow.load(SDXL)
    assert len(wf.aliases["width"]) == 5
    nodes = wf.set(width=512, height=768).to_graph()["nodes"]
    assert nodes[NOISE]["width"] == 512 and nodes[NOISE]["height"] == 768
    for cond in (POS_COND, "3193ad09-a7c2-4bf4-a3a9-1c61cc33a204"):
        assert (nodes[cond]["original_width"], nodes[cond]["target_width"]) == (512, 512)
        assert (nodes[cond]["original_height"], nodes[cond]["target_height"]) == (768, 768)


def test_setting_the_seed_visibly_replaces_the_random_node() -> None:
    wf = Workflow.load(SDXL)
    before = wf.to_graph()
    assert any(e["source"]["node_id"] == RAND for e in before["edges"]) and "seed" not in before["nodes"][NOISE]
    wf.set(seed=1234)
    graph = wf.to_graph()
    assert graph["nodes"][NOISE]["seed"] == 1234
    assert not any(e["source"]["node_id"] == RAND and e["destination"]["node_id"] == NOISE for e in graph["edges"])
    assert any("Random Seed" in c and "1234" in c for c in wf.changes)
    assert not param(wf, NOISE, "seed").connected
    # the embedded workflow shows it too
    assert all(e.get("source") != RAND for e in wf.to_batch()["workflow"]["edges"])


def test_steps_cfg_scheduler_model_vae_board() -> None:
    wf = Workflow.load(SDXL).set(steps=4, cfg_scale=5.5, scheduler="euler", model="tiny-sdxl", vae="tiny-sdxl-vae")
    nodes = wf.to_graph(context(models=TINY_MODELS))["nodes"]
    assert (nodes[DENOISE]["steps"], nodes[DENOISE]["cfg_scale"], nodes[DENOISE]["scheduler"]) == (4, 5.5, "euler")
    assert nodes["30d3289c-773c-4152-a9d2-bd8a99c8fd22"]["model"]["key"] == "k-main"
    assert nodes["0093692f-9cf4-454d-a5b8-62f0e3eb3bb8"]["vae_model"]["key"] == "k-vae"


@pytest.mark.parametrize("name", ["Positive Prompt", "positive prompt", "Positive Prompt.value", f"{POS}.value"])
def test_set_by_form_label_node_label_field_and_node_id_field(name: str) -> None:
    wf = Workflow.load(SDXL).set({name: "by name"})
    assert wf.to_graph()["nodes"][POS]["value"] == "by name"


def test_unknown_names_list_the_candidates() -> None:
    with pytest.raises(ParameterError, match="unknown parameter 'sed'") as err:
        Workflow.load(SDXL).set(sed=1)
    assert "seed" in err.value.candidates and "Positive Prompt" in err.value.candidates


def test_ambiguous_names_list_the_matches() -> None:
    with pytest.raises(ParameterError, match="ambiguous") as err:
        Workflow.load(SDXL).set({"Original Width": 640})
    assert len(err.value.candidates) == 2


def test_inputs_fed_by_edges_cannot_be_set() -> None:
    with pytest.raises(ParameterError, match="fed by an edge") as err:
        Workflow.load(SDXL).set({f"{POS_COND}.prompt": "x"})
    assert err.value.node_id == POS_COND and err.value.field == "prompt"


def test_alias_with_nothing_settable_is_refused() -> None:
    wf = Workflow.load(SHIPPED_DIR / "Prompt from File.json")  # the positive prompt comes from the file
    with pytest.raises(ParameterError, match="positive_prompt"):
        wf.set(positive_prompt="x")


def test_values_are_checked_against_the_workflow_and_the_schema() -> None:
    with pytest.raises(ParameterError, match="expected a value like"):
        Workflow.load(SDXL).set(width="wide")
    with pytest.raises(ParameterError, match="multiple of 8") as err:
        Workflow.load(SDXL).set(width=500).to_graph(context())
    assert err.value.field in ("width", "original_width", "target_width")
    with pytest.raises(ParameterError, match="not one of") as err:
        Workflow.load(SDXL).set(scheduler="bogus").to_graph(context())
    assert "euler" in str(err.value)
    with pytest.raises(ParameterError, match="out of range"):
        Workflow.load(SDXL).set(steps=0).to_graph(context())


def test_set_text_parses_numbers_but_keeps_prompts_as_text() -> None:
    wf = Workflow.load(SDXL).set_text("width", "640").set_text("positive_prompt", "123").set_text("cfg_scale", "4")
    nodes = wf.to_graph()["nodes"]
    assert nodes[NOISE]["width"] == 640 and nodes[POS]["value"] == "123" and nodes[DENOISE]["cfg_scale"] == 4


def test_copy_is_independent() -> None:
    wf = Workflow.load(SDXL)
    twin = wf.copy().set(seed=1)
    assert "seed" not in wf.to_graph()["nodes"][NOISE] and twin.to_graph()["nodes"][NOISE]["seed"] == 1


def test_output_nodes_and_labels() -> None:
    wf = Workflow.load(SDXL)
    assert wf.output_nodes == ["63e91020-83b2-4f35-b174-ad9692aabb48"]
    assert wf.node_label(NOISE) == "noise" and wf.node_label(POS) == "Positive Prompt"


def hand_built_sdxl() -> dict:
    """Prompts in labelled string nodes, size on noise and the SDXL conditioning, a core_metadata node."""
    cond = {"prompt": "", "style": "", "original_width": 1024, "original_height": 1024, "target_width": 1024,
            "target_height": 1024, "clip": MISSING, "clip2": MISSING}
    return workflow(
        [node("pp", "string", {"value": "cat"}, label="Positive Prompt"),
         node("np", "string", {"value": "blurry"}, label="Negative Prompt"),
         node("pos", "sdxl_compel_prompt", dict(cond)), node("neg", "sdxl_compel_prompt", dict(cond)),
         node("loader", "sdxl_model_loader", {"model": MISSING}),
         node("noise", "noise", {"seed": 7, "width": 1024, "height": 1024}),
         node("den", "denoise_latents", {"steps": 30, "cfg_scale": 7.0, "scheduler": "euler",
                                         "positive_conditioning": MISSING, "negative_conditioning": MISSING}),
         node("meta", "core_metadata", {"positive_prompt": MISSING, "negative_prompt": MISSING, "width": 1024,
                                        "height": 1024, "seed": 7, "steps": 30, "cfg_scale": 7.0, "model": MISSING}),
         node("l2i", "l2i", {"board": "auto", "metadata": MISSING}, intermediate=False)],
        [edge("pp", "value", "pos", "prompt"), edge("pp", "value", "pos", "style"),
         edge("np", "value", "neg", "prompt"), edge("np", "value", "neg", "style"),
         edge("pos", "conditioning", "den", "positive_conditioning"),
         edge("neg", "conditioning", "den", "negative_conditioning"),
         edge("pp", "value", "meta", "positive_prompt"), edge("np", "value", "meta", "negative_prompt"),
         edge("loader", "model", "meta", "model"), edge("meta", "metadata", "l2i", "metadata")],
    )


def test_aliases_on_a_hand_built_sdxl_workflow() -> None:
    wf = Workflow.load(hand_built_sdxl())
    assert wf.aliases["positive_prompt"] == [("pp", "value")]
    assert wf.aliases["negative_prompt"] == [("np", "value")]
    assert set(wf.aliases["width"]) == {("pos", "original_width"), ("pos", "target_width"), ("neg", "original_width"),
                                        ("neg", "target_width"), ("noise", "width"), ("meta", "width")}
    assert set(wf.aliases["seed"]) == {("noise", "seed"), ("meta", "seed")}
    assert wf.aliases["model"] == [("loader", "model")]  # the metadata model is fed by the loader
    nodes = wf.set(seed=99, width=768, steps=12, cfg_scale=3).to_graph()["nodes"]
    assert nodes["meta"]["seed"] == nodes["noise"]["seed"] == 99
    assert nodes["meta"]["width"] == nodes["noise"]["width"] == nodes["pos"]["target_width"] == 768
    assert nodes["meta"]["steps"] == nodes["den"]["steps"] == 12
    table = {p.name: p.aliases for p in wf.parameters}
    assert table["core_metadata.width"] == ("width",) and table["noise.seed"] == ("seed",)


def test_sweep_zips_the_places_of_one_alias_and_multiplies_different_names() -> None:
    wf = Workflow.load(SDXL)
    data = wf.to_batch(sweep={"width": [512, 768], "seed": [1, 2, 3]})["data"]
    assert len(data) == 2
    widths, seeds = data
    assert len(widths) == 5 and all(entry["items"] == [512, 768] for entry in widths)
    assert {(e["node_path"], e["field_name"]) for e in widths} == set(wf.aliases["width"])
    assert seeds == [{"node_path": NOISE, "field_name": "seed", "items": [1, 2, 3]}]
    assert "seed" not in Workflow.load(SDXL).to_graph()["nodes"][NOISE]  # the original is left alone
    assert wf.to_graph()["nodes"][NOISE].get("seed") is None


def test_sweep_graph_has_no_random_edge_and_values_are_checked() -> None:
    batch = Workflow.load(SDXL).to_batch(context(), sweep={"seed": [5, 6]})
    assert batch["graph"]["nodes"][NOISE]["seed"] == 5
    assert not any(e["destination"]["node_id"] == NOISE and e["destination"]["field"] == "seed"
                   for e in batch["graph"]["edges"])
    with pytest.raises(ParameterError, match="multiple of 8"):
        Workflow.load(SDXL).to_batch(context(), sweep={"width": [512, 513]})
    with pytest.raises(ParameterError, match="cannot be swept"):
        Workflow.load(SDXL).to_batch(sweep={"model": ["a", "b"]})
    with pytest.raises(ParameterError, match="non-empty list"):
        Workflow.load(SDXL).to_batch(sweep={"seed": []})


def test_with_a_schema_unlabelled_form_fields_carry_the_titles_the_ui_shows() -> None:
    # (the shipped FLUX workflows, once used here, have a node InvokeAI 6.14.2 cannot update: see
    # test_workflow_load_checks; their form titles are checked without converting)
    flux = SHIPPED_DIR / "Flux Text to Image.json"
    assert "VAE" in {p.label for p in Workflow.load(flux, context=context()).parameters if p.in_form}
    path = SHIPPED_DIR / "MultiDiffusion SDXL.json"
    offline = {p.label for p in Workflow.load(path).parameters if p.in_form}
    wf = Workflow.load(path, context=context(models=TINY_MODELS))
    shown = {p.label for p in wf.parameters if p.in_form}
    assert "VAE" in shown and "VAE" not in offline and "Vae Model" in offline
    wf.set({"VAE": "tiny-sdxl-vae"})  # by the form label; resolved with the workflow's own context
    loader = next(n for n in wf.to_graph()["nodes"].values() if n["type"] == "vae_loader")
    assert loader["vae_model"]["name"] == "tiny-sdxl-vae"
    assert wf.preflight()  # the workflow's context is used; the main model is still missing


def test_save_round_trips_and_html_shows_the_form(tmp_path) -> None:
    wf = Workflow.load(SDXL).set(positive_prompt="<b>boat</b>", seed=5)
    saved = wf.save(tmp_path / "custom.json")
    again = Workflow.load(saved)
    assert again.to_graph()["nodes"][POS]["value"] == "<b>boat</b>" and again.to_graph()["nodes"][NOISE]["seed"] == 5
    assert [p.name for p in tmp_path.iterdir()] == ["custom.json"]
    page = wf._repr_html_()
    assert "Positive Prompt" in page and "&lt;b&gt;boat" in page and "<b>boat" not in page


def test_enum_fields_named_like_models_are_not_models() -> None:
    wf = Workflow.load(SHIPPED_DIR / "Tiled Upscaling (Beta).json")
    ip = next(p for p in wf.parameters if p.field == "clip_vision_model")
    wf.set({f"{ip.node_id}.clip_vision_model": "ViT-G"})
    assert wf.to_graph()["nodes"][ip.node_id]["clip_vision_model"] == "ViT-G"  # offline: no model lookup
    with pytest.raises(ParameterError, match="not one of"):
        wf.set({f"{ip.node_id}.clip_vision_model": "ViT-X"}).to_graph(context())


def test_form_kind_tells_the_form_builder_from_legacy_exposed_fields() -> None:
    assert {p.form_kind for p in Workflow.load(SDXL).parameters if p.in_form} == {"exposed"}
    wan = Workflow.load(SHIPPED_DIR / "Wan 2.2 Text to Image.json")  # schema 3.0.0 with exposedFields only
    cog = Workflow.load(SHIPPED_DIR / "CogView4_TextToImage.json")  # a form-builder form
    assert {p.form_kind for p in cog.parameters if p.in_form} == {"form"}
    assert {p.label for p in cog.parameters if p.in_form} == {"Positive Prompt", "Negative Prompt", "Model"}
    assert all(p.form_kind in (None, "exposed") for p in wan.parameters)


def test_places_and_accepts_answer_without_setting_anything() -> None:
    wf = Workflow.load(SDXL)
    assert wf.places("seed") == [(NOISE, "seed")] and wf.places("Positive Prompt") == [(POS, "value")]
    assert sorted(wf.places("width")) == sorted(wf.aliases["width"])  # an alias names every place it sets
    assert wf.accepts("seed", 3) and not wf.accepts("seed", "three") and wf.accepts("positive_prompt", "a boat")
    assert wf.accepts("width", 513)  # offline only the kind is known
    problem = wf.value_problem("seed", "three")
    assert isinstance(problem, ParameterError) and problem.node_id == NOISE and "expected a value like" in str(problem)
    with pytest.raises(ParameterError, match="unknown parameter"):
        wf.accepts("no_such_name", 1)
    checked = Workflow.load(SDXL, context=context())
    assert not checked.accepts("width", 513) and "multiple of 8" in str(checked.value_problem("width", 513))
    assert not checked.accepts("scheduler", "no-such-scheduler") and checked.accepts("scheduler", "euler")
    assert checked.accepts("model", "tiny-sdxl") and checked.accepts("board", "Cats")  # names resolve later
    assert not checked.accepts("model", 3)
    assert param(wf, NOISE, "seed").random  # nothing was set: the random seed edge is still there


def test_text_from_command_lines_is_typed_by_the_field() -> None:
    wf = Workflow.load(SDXL, context=context())
    assert wf.value_from_text("seed", "12") == 12 and wf.value_from_text("cfg_scale", "4.5") == 4.5
    assert wf.value_from_text("positive_prompt", "12") == "12"  # a prompt stays text
    assert wf.value_from_text("model", "tiny-sdxl") == "tiny-sdxl" and wf.value_from_text("board", "7") == "7"
    assert wf.value_from_text("width", "513") == 513  # refused later, by the number it is, not as text
    assert wf.value_from_text("seed", "not json") == "not json"
    assert wf.set_text("seed", "12").to_graph()["nodes"][NOISE]["seed"] == 12
