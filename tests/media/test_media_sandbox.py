"""Local images into workflows on the real sandbox: uploaded once, one POST for a folder, results mapped
to their input files, shipped image-input workflows end to end, bad media refused before any upload."""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mediawf import IMAGE, L2I, blur_workflow, sdxl_image_to_image

from invokekit import Client
from invokekit.api import Images
from invokekit.cli import main
from invokekit.errors import MediaError
from invokekit.media import UploadCache
from invokekit.sandbox import Sandbox

pytestmark = pytest.mark.server

SHIPPED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "workflows" / "default"
MULTIDIFFUSION_DENOISE = "8dba0d37-cd2e-4fe5-ae9f-5464b85a8a7a"  # their tiled_multi_diffusion_denoise_latents
TILE_CONTROLNET = "ControlNet Model - Choose a Tile ControlNet"  # the MultiDiffusion workflows' form label


@pytest.fixture
def client(invokeai_sandbox: Sandbox) -> Iterator[Client]:
    with Client(invokeai_sandbox.url) as client:
        yield client


class Spy:
    """Counts the calls of one namespace method of a client (and lets them through)."""

    def __init__(self, owner: Any, name: str) -> None:
        self.calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        original: Callable[..., Any] = getattr(owner, name)

        def counted(*args: Any, **kw: Any) -> Any:
            self.calls.append((args, kw))
            return original(*args, **kw)

        setattr(owner, name, counted)


def _noise_png(path: Path, size: tuple[int, int]) -> Path:
    """A PNG of random pixels: new content every run, so nothing is on the server yet."""
    pixels = np.random.default_rng(random.randrange(2**32)).integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def test_a_folder_of_five_pngs_is_one_post_five_items_each_output_mapped_to_its_input(
    client: Client, tmp_path: Path
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    sizes = {f"p{i}.png": (24 + 8 * i, 40 - 4 * i) for i in range(5)}  # each input its own size
    for name, size in sizes.items():
        _noise_png(folder / name, size)
    enqueues, uploads = Spy(client.queue, "enqueue_batch"), Spy(client.images, "upload")
    wf = client.workflow(blur_workflow())
    job = client.submit(wf, sweep={"image": [str(folder)]})
    assert len(enqueues.calls) == 1 and len(uploads.calls) == 5 and len(job.item_ids) == 5
    (body,), _ = enqueues.calls[0]
    (datum,) = body["data"][0]
    assert len(datum["items"]) == 5 and all(isinstance(i["image_name"], str) for i in datum["items"])
    assert all(kw["is_intermediate"] is True and kw["category"] == "user" for _, kw in uploads.calls)
    results = job.result(timeout=300)
    assert len(results) == 5
    paths = job.download(tmp_path / "out")
    assert len(paths) == 5
    seen = set()
    for result in results:
        (image,) = result.images
        source = Path(job.inputs[result.item_id][f"{IMAGE}.image"])
        seen.add(source.name)
        assert (image.width, image.height) == sizes[source.name]  # the blur keeps the size of ITS input
    assert seen == set(sizes)


def test_the_same_file_is_uploaded_once_and_again_after_the_server_deleted_it(client: Client, tmp_path: Path) -> None:
    photo = _noise_png(tmp_path / "photo.png", (32, 32))
    uploads = Spy(client.images, "upload")
    wf = client.workflow(blur_workflow())
    first = client.submit(wf, sets={"image": photo})
    second = client.submit(wf.copy().set(image=str(photo)))  # the same content, another call
    assert len(uploads.calls) == 1
    (name,) = first.uploads
    assert list(second.uploads) == [name]
    assert UploadCache(client.url).get(second.uploads[name]) == name  # remembered on disk, per server
    for job in (first, second):
        (result,) = job.result(timeout=120)
        assert (result.images[0].width, result.images[0].height) == (32, 32)
    assert client.images.dto(name)["is_intermediate"] is True  # an input, kept out of the gallery
    client.images.delete(name)
    third = client.submit(wf, sets={"image": photo})
    assert len(uploads.calls) == 2  # the remembered name was checked, found gone, and uploaded again
    (new_name,) = third.uploads
    assert new_name != name and client.images.dto(new_name)["image_name"] == new_name
    third.result(timeout=120)


def test_bad_media_is_refused_before_any_upload_or_post(client: Client, tmp_path: Path) -> None:
    good = _noise_png(tmp_path / "good.png", (16, 16))
    (tmp_path / "bad.png").write_bytes(b"\x89PNG not really")
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypisom" + b"\x00" * 64)
    enqueues, uploads = Spy(client.queue, "enqueue_batch"), Spy(client.images, "upload")
    wf = client.workflow(blur_workflow())
    for value, why in ((tmp_path / "missing.png", "does not exist"), (tmp_path / "bad.png", "not an image"),
                       (clip, "is a video")):
        with pytest.raises(MediaError, match=why) as err:
            client.submit(wf, sets={"image": value})
        assert err.value.node_id == IMAGE and err.value.field == "image"
    with pytest.raises(MediaError, match="not an image"):  # one bad file in a folder stops the whole sweep
        client.submit(wf, sweep={"image": [str(good), str(tmp_path / "bad.png")]})
    with pytest.raises(MediaError, match=r"no local file 'never-uploaded\.png' and no image of that name"):
        client.submit(wf, sets={"image": "never-uploaded.png"}, text=True)
    assert uploads.calls == [] and enqueues.calls == []


def test_sdxl_image_to_image_runs_from_a_local_png_via_python(client: Client, tmp_path: Path) -> None:
    photo = _noise_png(tmp_path / "init.png", (64, 64))
    wf = client.workflow(sdxl_image_to_image(size=64))
    wf.set(image=photo, model="tiny-sdxl", seed=random.randrange(2**31))
    job = client.submit(wf)
    (result,) = job.result(timeout=300)
    (image,) = result.images
    assert image.node_id == L2I and (image.width, image.height) == (64, 64)
    assert job.inputs[result.item_id] == {f"{IMAGE}.image": str(photo.resolve())}
    (path,) = job.download(tmp_path / "out")
    with Image.open(path) as out:
        assert out.size == (64, 64)


def test_sdxl_image_to_image_runs_from_a_local_png_via_the_cli(
    invokeai_sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = _noise_png(tmp_path / "init.png", (64, 64))
    wf_file = tmp_path / "img2img.json"
    wf_file.write_text(json.dumps(sdxl_image_to_image(size=64)))
    calls: list[Any] = []
    original = Images.upload

    def counted(self: Images, *args: Any, **kw: Any) -> dict[str, Any]:
        calls.append(args)
        return original(self, *args, **kw)

    monkeypatch.setattr(Images, "upload", counted)  # the CLI makes its own Client
    argv = ["run", str(wf_file), "--url", invokeai_sandbox.url, "--out", str(tmp_path / "out"), "--json",
            "--monitor", "api", "--model", "tiny-sdxl", "--set", f"image={photo}", "--set"]
    for _ in range(2):
        assert main([*argv, f"seed={random.randrange(2**31)}"]) == 0
        (item,) = json.loads(capsys.readouterr().out)["items"]
        assert item["status"] == "completed"
        (image,) = item["images"]
        with Image.open(image["path"]) as out:
            assert out.size == (64, 64)
    assert len(calls) == 1  # the second run found the photo on the server already


@pytest.mark.parametrize(
    ("workflow", "models"),
    [
        ("MultiDiffusion SD1.5", {"model": "tiny-sd15", TILE_CONTROLNET: "tiny-sd15-controlnet"}),
        ("MultiDiffusion SDXL",
         {"model": "tiny-sdxl", "vae": "tiny-sdxl-vae", TILE_CONTROLNET: "tiny-sdxl-controlnet"}),
    ],
)
def test_a_shipped_image_input_workflow_runs_on_a_local_image(
    workflow: str, models: dict[str, str], client: Client, tmp_path: Path
) -> None:
    size = 96
    photo = _noise_png(tmp_path / "photo.png", (size, size))
    wf = client.workflow(SHIPPED / f"{workflow}.json")
    wf.set(models, **{"Image to Upscale": photo, "Image-to-Image Model": "tiny-upscaler"})
    wf.set({f"{MULTIDIFFUSION_DENOISE}.steps": 4, f"{MULTIDIFFUSION_DENOISE}.scheduler": "euler"})
    job = client.submit(wf)
    (result,) = job.result(timeout=300)
    (path,) = job.download(tmp_path / "out")
    with Image.open(path) as image:
        assert image.size == (2 * size, 2 * size)
    assert str(photo.resolve()) in job.inputs[result.item_id].values()


def test_the_cli_sweeps_a_folder_of_photos_in_one_batch(
    invokeai_sandbox: Sandbox, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "photos"
    folder.mkdir()
    sizes = {(20, 28), (36, 12)}
    for i, size in enumerate(sorted(sizes)):
        _noise_png(folder / f"p{i}.png", size)
    wf_file = tmp_path / "blur.json"
    wf_file.write_text(json.dumps(blur_workflow()))
    argv = ["run", str(wf_file), "--url", invokeai_sandbox.url, "--out", str(tmp_path / "out"), "--json",
            "--monitor", "api", "--sweep", f"image={folder}/"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)
    assert len({item["item_id"] for item in report["items"]}) == 2
    assert {(i["images"][0]["width"], i["images"][0]["height"]) for i in report["items"]} == sizes
