"""Mapping a finished queue item to the images of its output nodes; refusing unsafe names."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from invokekit.errors import DownloadError
from invokekit.results import check_image_name, default_output_nodes, item_result

REFERENCE = Path(__file__).resolve().parents[2] / ".." / "shared" / "reference" / "invokeai-6.14.2"


def load(name: str) -> dict:
    return json.loads((REFERENCE / name).read_text())


def test_completed_sdxl_item_yields_the_l2i_image_only() -> None:
    item = load("sdxl-queue-item-completed.json")
    result = item_result(item)
    assert result.status == "completed" and result.item_id == item["item_id"]
    assert [(i.node_id, i.image_name, i.width, i.height) for i in result.images] == [
        ("l2i", "b80d10aa-590a-4803-a517-daffa2fa3219.png", 128, 128)
    ]
    assert result.created_at == item["created_at"] and result.completed_at == item["completed_at"]


def test_output_nodes_and_labels_are_honoured() -> None:
    item = load("sdxl-queue-item-completed.json")
    result = item_result(item, output_nodes=["l2i"], labels={"l2i": "Decode"})
    assert result.by_node()["Decode"] == result.by_node()["l2i"] == result.images
    assert item_result(item, output_nodes=["denoise"]).images == []  # latents are not images


def test_images_come_from_this_session_even_when_several_prepared_nodes_exist() -> None:
    item = copy.deepcopy(load("sdxl-queue-item-completed.json"))
    session = item["session"]
    session["source_prepared_mapping"]["l2i"].append("extra-prepared")
    session["results"]["extra-prepared"] = {"image": {"image_name": "second.png"}, "width": 8, "height": 8}
    session["results"]["stranger"] = {"image": {"image_name": "not-ours.png"}, "width": 8, "height": 8}
    names = [i.image_name for i in item_result(item).images]
    assert names == ["b80d10aa-590a-4803-a517-daffa2fa3219.png", "second.png"]


def test_failed_item_carries_the_servers_error() -> None:
    item = load("sdxl-queue-item-failed.json")
    result = item_result(item)
    assert result.status == "failed" and result.images == []
    assert result.error_type == "RuntimeError" and "Sizes of tensors" in (result.error_message or "")
    assert result.error_traceback


def test_default_output_nodes_are_the_non_intermediate_ones() -> None:
    graph = load("model-free-enqueue-request.json")["batch"]["graph"]
    assert default_output_nodes(graph) == ["w", "add", "resize"]


@pytest.mark.parametrize(
    "name",
    [
        *["", ".", "..", "../x.png", "a/b.png", "a\\b.png", "/etc/passwd", "x\x00.png", "..png", "~root"],
        *["a\nb.png", "x\x7f.png", ".hidden.png"],
    ],
)
def test_unsafe_image_names_are_refused(name: str) -> None:
    with pytest.raises(DownloadError):
        check_image_name(name)


def test_ordinary_image_names_pass() -> None:
    assert check_image_name("b80d10aa-590a-4803-a517-daffa2fa3219.png") == "b80d10aa-590a-4803-a517-daffa2fa3219.png"


@pytest.mark.parametrize("name", ["my..image.png", "a...b.png", "x..", "v1.2..3.webp"])
def test_dots_inside_a_name_are_harmless(name: str) -> None:
    assert check_image_name(name) == name
