"""Local images as workflow inputs, offline: what a value becomes, and what is refused before any upload."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mediawf import BLUR, IMAGE, blur_workflow, sdxl_image_to_image
from wfbuild import context

from invokekit.errors import MediaError, ParameterError
from invokekit.media import LocalMedia, find_media_in, local_media
from invokekit.workflow import Batch, Workflow


def _png(path: Path, color: tuple[int, int, int] = (200, 40, 40), size: int = 16) -> Path:
    Image.new("RGB", (size, size), color).save(path)
    return path


def _wf() -> Workflow:
    return Workflow.load(blur_workflow(), context=context())


def _media(wf: Workflow) -> LocalMedia:
    value = wf.to_graph()["nodes"][IMAGE]["image"]
    assert isinstance(value, dict)
    media = value["image_name"]
    assert isinstance(media, LocalMedia)
    return media


def test_a_local_png_goes_into_the_image_alias_checked_and_fingerprinted(tmp_path: Path) -> None:
    photo = _png(tmp_path / "photo.png")
    wf = _wf().set(image=str(photo))
    media = _media(wf)
    assert media.kind == "image" and media.path == photo.resolve()
    assert media.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert media.read() == photo.read_bytes()
    # the form label and node.field reach the same place
    assert _media(_wf().set({"Photo.image": photo})).sha256 == media.sha256
    assert _media(_wf().set({f"{IMAGE}.image": photo})).sha256 == media.sha256


def test_pil_images_numpy_arrays_and_bytes_become_png_uploads_with_their_content_hash(tmp_path: Path) -> None:
    pil = Image.new("RGB", (8, 4), (1, 2, 3))
    from_pil = _media(_wf().set(image=pil))
    from_array = _media(_wf().set(image=np.asarray(pil)))
    assert from_pil.sha256 == from_array.sha256  # the same pixels, the same upload
    with Image.open(__import__("io").BytesIO(from_pil.read())) as decoded:
        assert decoded.size == (8, 4) and decoded.getpixel((0, 0)) == (1, 2, 3)
    raw = _png(tmp_path / "b.png").read_bytes()
    assert _media(_wf().set(image=raw)).sha256 == hashlib.sha256(raw).hexdigest()
    floats = _media(_wf().set(image=np.ones((4, 4, 3), dtype=np.float32)))
    with Image.open(__import__("io").BytesIO(floats.read())) as decoded:
        assert decoded.getpixel((0, 0)) == (255, 255, 255)


def test_a_server_image_name_still_works_as_before() -> None:
    wf = _wf().set(image="abc-123.png")
    assert wf.to_graph()["nodes"][IMAGE]["image"] == {"image_name": "abc-123.png"}
    assert not isinstance(wf.to_graph()["nodes"][IMAGE]["image"]["image_name"], LocalMedia)
    wf.set(image={"image_name": "def.png"})
    assert wf.to_graph()["nodes"][IMAGE]["image"] == {"image_name": "def.png"}


def test_a_name_the_server_does_not_have_and_no_local_file_is_refused_when_the_server_is_known() -> None:
    ctx = context()
    ctx.image_exists = lambda name: name == "there.png"
    wf = Workflow.load(blur_workflow(), context=ctx)
    wf.set(image="there.png")
    with pytest.raises(MediaError, match=r"no local file 'nothere\.png' and no image of that name") as err:
        wf.set(image="nothere.png")
    assert err.value.node_id == IMAGE and err.value.field == "image"


@pytest.mark.parametrize("case", ["missing", "folder", "not-an-image", "video", "object"])
def test_bad_media_is_refused_when_set_naming_node_and_field(case: str, tmp_path: Path) -> None:
    values = {
        "missing": str(tmp_path / "nope" / "photo.png"),
        "folder": tmp_path,
        "not-an-image": tmp_path / "notes.png",
        "video": tmp_path / "clip.mp4",
        "object": object(),
    }
    (tmp_path / "notes.png").write_text("not an image")
    (tmp_path / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64)
    wf = _wf()
    with pytest.raises(MediaError) as err:
        wf.set(image=values[case])
    assert isinstance(err.value, ParameterError)
    assert err.value.node_id == IMAGE and err.value.field == "image" and err.value.node_label == "Photo"
    expected = {"missing": "does not exist", "folder": "is a folder", "not-an-image": "not an image Pillow can read",
                "video": "is a video; this field takes an image", "object": "cannot use a object"}[case]
    assert expected in str(err.value) and "Photo" in str(err.value)
    assert wf.to_graph()["nodes"][IMAGE].get("image") is None  # nothing was set
    assert wf.value_problem("image", values[case]) is not None


def test_an_image_given_to_a_video_field_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="is not an MP4 video"):
        local_media(_png(tmp_path / "a.png"), "video", node_id="v", field="video")
    with pytest.raises(MediaError, match="an image was given to a video field"):
        local_media(Image.new("RGB", (2, 2)), "video", node_id="v", field="video")


def test_an_image_field_left_empty_is_a_preflight_problem() -> None:
    problems = _wf().preflight(context())
    assert any(p.node_id == IMAGE and p.field == "image" for p in problems), problems


def test_a_folder_or_a_glob_sweeps_its_images_in_name_order(tmp_path: Path) -> None:
    for i in range(3):
        _png(tmp_path / f"p{i}.png", (i, i, i))
    (tmp_path / "readme.txt").write_text("skip me")
    for spec in ([str(tmp_path) + "/"], str(tmp_path / "*.png"), [tmp_path / "p0.png", tmp_path / "p1.png",
                                                                    tmp_path / "p2.png"]):
        batch = Batch.of(_wf(), context=context(), sweep={"image": spec})
        (datum,) = batch.data[0]
        assert (datum["node_path"], datum["field_name"]) == (IMAGE, "image")
        sources = [item["image_name"].path.name for item in datum["items"]]
        assert sources == ["p0.png", "p1.png", "p2.png"]
        assert len(set(find_media_in(batch))) == 3


def test_a_sweep_with_a_bad_file_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    _png(tmp_path / "good.png")
    (tmp_path / "bad.png").write_bytes(b"garbage")
    with pytest.raises(MediaError, match=r"bad\.png"):
        Batch.of(_wf(), context=context(), sweep={"image": [str(tmp_path)]})
    with pytest.raises(MediaError, match="no image files"):
        Batch.of(_wf(), context=context(), sweep={"image": [str(tmp_path / "*.jpg")]})


def test_image_collection_fields_take_lists_of_local_images(tmp_path: Path) -> None:
    raw = blur_workflow()
    from wfbuild import MISSING, node  # the collection primitive, whose "collection" holds images

    raw["nodes"].append(node("coll", "image_collection", {"collection": MISSING}, label="Photos"))
    wf = Workflow.load(raw, context=context())
    files = [_png(tmp_path / f"c{i}.png", (i, 0, 0)) for i in range(2)]
    wf.set({"Photos.collection": [files[0], "server.png", files[1]]})
    value = wf.to_graph()["nodes"]["coll"]["collection"]
    assert [type(v["image_name"]) for v in value] == [LocalMedia, str, LocalMedia]
    assert value[1] == {"image_name": "server.png"}


def test_sdxl_image_to_image_workflow_takes_a_local_image_into_its_primitive(tmp_path: Path) -> None:
    wf = Workflow.load(sdxl_image_to_image(), context=context())
    wf.set(image=_png(tmp_path / "init.png", size=64))
    graph = wf.to_graph()
    assert isinstance(graph["nodes"][IMAGE]["image"]["image_name"], LocalMedia)
    assert BLUR not in graph["nodes"]
