"""Every namespace against the real sandbox server: the endpoints the package and the next
features use answer as their methods say."""

from __future__ import annotations

import io
import json
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from invokekit.client import Client
from invokekit.errors import ParameterError, ServerError
from invokekit.sandbox._layout import Layout, default_cache_dir

pytestmark = pytest.mark.server


@pytest.fixture
def board(client: Client) -> Iterator[dict]:
    made = client.boards.create(f"ik-api-{uuid.uuid4().hex[:8]}")
    try:
        yield made
    finally:
        client.boards.delete(made["board_id"], include_images=True)


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), "teal").save(buf, "PNG")
    return buf.getvalue()


def test_app_version_and_schema(client: Client) -> None:
    assert client.app.version()["version"] == "6.14.2"
    schema = client.app.openapi_schema()
    assert "img_resize" in json.dumps(schema["components"]["schemas"]["ImageResizeInvocation"])


def test_boards_create_list_resolve_delete(client: Client) -> None:
    name = f"ik-api-{uuid.uuid4().hex[:8]}"
    made = client.boards.create(name)
    assert made["board_name"] == name
    try:
        assert client.boards.resolve(name) == made["board_id"] == client.boards.resolve(made["board_id"])
        with pytest.raises(ParameterError, match=f"did you mean '{name}'"):
            client.boards.resolve(name[:-1])
    finally:
        client.boards.delete(made["board_id"])
    assert name not in {b["board_name"] for b in client.boards.list()}


def test_image_upload_to_a_board_with_metadata(client: Client, board: dict) -> None:
    metadata = {"invokekit": "upload test", "seed": 7}
    dto = client.images.upload(
        png(12, 7), filename="teal.png", board_id=board["board_id"], metadata=json.dumps(metadata)
    )
    name = dto["image_name"]
    assert (dto["width"], dto["height"], dto["board_id"], dto["image_category"]) == (12, 7, board["board_id"], "user")
    assert dto["is_intermediate"] is False
    assert client.images.dto(name) == dto
    assert client.images.metadata(name) == metadata
    with Image.open(io.BytesIO(client.images.full(name))) as img:
        assert img.size == (12, 7)
    with client.images.stream_full(name) as resp:
        assert resp.headers["content-type"] == "image/png" and len(resp.content) > 0


def test_image_upload_from_a_path_as_an_intermediate(client: Client, board: dict, tmp_path: Path) -> None:
    path = tmp_path / "mask.png"
    path.write_bytes(png(5, 9))
    dto = client.images.upload(path, category="mask", is_intermediate=True, board_id=board["board_id"])
    assert (dto["image_category"], dto["is_intermediate"], dto["width"]) == ("mask", True, 5)
    assert client.images.metadata(dto["image_name"]) is None


def h264_video(path: Path) -> Path:
    """A one-second H.264 MP4 (what InvokeAI accepts), made with the ffmpeg of InvokeAI's own venv."""
    python = Layout(default_cache_dir().absolute()).venv_python
    find = "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"
    ffmpeg = subprocess.run([str(python), "-c", find], capture_output=True, text=True, check=True).stdout.strip()
    source = ["-f", "lavfi", "-i", "testsrc=size=32x16:rate=8:duration=1"]
    subprocess.run([ffmpeg, "-y", *source, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
                   capture_output=True, check=True, timeout=60)
    return path


def test_video_upload_dto_and_full(client: Client, board: dict, tmp_path: Path) -> None:
    video = h264_video(tmp_path / "clip.mp4")
    dto = client.videos.upload(video, is_intermediate=True, board_id=board["board_id"])
    name = dto["video_name"]
    assert (dto["width"], dto["height"], dto["fps"], dto["board_id"]) == (32, 16, 8.0, board["board_id"])
    assert client.videos.dto(name) == dto
    assert client.videos.full(name) == video.read_bytes()
    assert client.videos.metadata(name) is None
    with pytest.raises(ServerError) as info:
        client.videos.upload(b"not a video", filename="notes.txt", content_type="text/plain")
    assert info.value.status == 415


def test_models_list_narrowed_on_the_server(client: Client) -> None:
    [vae] = client.models.list(type="vae")
    assert vae["name"] == "tiny-sdxl-vae"
    [main] = client.models.list(name="tiny-sdxl")
    assert main["type"] == "main" and client.models.find("tiny-sdxl", type="main")["key"] == main["key"]
    with pytest.raises(ParameterError, match="did you mean 'tiny-sdxl'"):
        client.models.find("tiny-sdx")


def test_workflows_by_name_and_by_id(client: Client) -> None:
    library = client.workflows.list()
    entry = next(w for w in library if w["name"] == "Text to Image - SDXL")
    by_name = client.workflows.get("text to image - sdxl")
    assert by_name["name"] == "Text to Image - SDXL" and by_name["nodes"]
    assert client.workflows.record(entry["workflow_id"])["workflow"] == by_name
    with pytest.raises(ParameterError, match="closest candidates: Text to Image - SDXL"):
        client.workflows.get("Text to Imag - SDXL")


def test_style_presets_and_dynamic_prompts(client: Client) -> None:
    presets = client.style_presets.list()
    assert presets and all("{prompt}" in p["preset_data"]["positive_prompt"] for p in presets if p["type"] == "default")
    expanded = client.utilities.dynamicprompts("a {red|blue} fox")
    assert expanded["prompts"] == ["a red fox", "a blue fox"] and expanded["error"] is None


def test_queue_reads_and_cancels_a_paused_batch(client: Client) -> None:
    destination = f"ik-api-{uuid.uuid4().hex[:8]}"
    graph = {"id": "g", "nodes": {"n": {"id": "n", "type": "integer", "value": 1, "use_cache": False}}, "edges": []}
    batch = {"batch_id": str(uuid.uuid4()), "graph": graph, "runs": 2, "destination": destination}
    queue = client.queue
    queue.pause()
    try:
        assert queue.status()["processor"]["is_started"] is False
        ids = sorted(queue.enqueue_batch(batch)["item_ids"])
        assert len(ids) == 2 and set(ids) <= set(queue.item_ids())
        assert queue.batch_status(batch["batch_id"])["pending"] == 2
        assert [i["item_id"] for i in queue.items(ids)] == ids and queue.item(ids[0])["batch_id"] == batch["batch_id"]
        assert {s["status"] for s in queue.summaries(ids)} == {"pending"}
        assert queue.counts_by_destination(destination)["pending"] == 2
        assert queue.cancel_by_batch_ids([batch["batch_id"]])["canceled"] == 2
        assert queue.counts_by_destination(destination)["canceled"] == 2
    finally:
        queue.resume()
        deleted = queue.delete_by_destination(destination)["deleted"]
    assert deleted == 2 and queue.counts_by_destination(destination)["total"] == 0
    assert queue.status()["processor"]["is_started"] is True
