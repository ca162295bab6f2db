"""Videos in and out on the real sandbox: local MP4s uploaded into a video field, the video a node makes
downloaded, checked and playable with the right frame count; broken containers refused."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from mediawf import CONCAT, count_frames, h264_clip, video_concat_workflow

from invokekit import Client
from invokekit.errors import DownloadError, MediaError
from invokekit.media import LocalMedia, check_mp4
from invokekit.sandbox import Sandbox


@pytest.fixture
def client(invokeai_sandbox: Sandbox) -> Iterator[Client]:
    with Client(invokeai_sandbox.url) as client:
        yield client


@pytest.mark.server
def test_a_video_round_trip_yields_a_playable_file_of_the_right_frame_count(client: Client, tmp_path: Path) -> None:
    first, second = h264_clip(tmp_path / "a.mp4", 8), h264_clip(tmp_path / "b.mp4", 5, rate=8)
    assert count_frames(first) == 8 and count_frames(second) == 5
    wf = client.workflow(video_concat_workflow())
    wf.set({"Joined.videos": [first, second]})
    assert all(isinstance(v["video_name"], LocalMedia) for v in wf.to_graph()["nodes"][CONCAT]["videos"])
    job = client.submit(wf)
    assert len(job.uploads) == 2 and all(m.kind == "video" for m in job.uploads.values())
    (result,) = job.result(timeout=300)
    (video,) = result.videos
    assert video.node_id == CONCAT and video.num_frames == 13 and (video.width, video.height) == (32, 16)
    (path,) = job.download(tmp_path / "out")
    assert path.name == video.video_name and result.videos[0].path == str(path)
    assert count_frames(path) == 13
    assert path.read_bytes() == client.videos.full(video.video_name)
    assert job.download(tmp_path / "out") == [path]  # again: the same file is kept, not rewritten
    assert result.as_dict()["videos"][0]["video_name"] == video.video_name


@pytest.mark.server  # the clip is made with the ffmpeg of InvokeAI's venv
def test_a_truncated_or_foreign_container_is_refused(tmp_path: Path) -> None:
    good = h264_clip(tmp_path / "a.mp4", 4).read_bytes()
    check_mp4(good, "a.mp4")
    with pytest.raises(DownloadError, match="runs past the end"):
        check_mp4(good[: len(good) - 10], "a.mp4")
    with pytest.raises(DownloadError, match="not a playable MP4"):
        check_mp4(b"\x00\x00\x00\x08free", "x.mp4")


def test_an_image_in_a_video_field_is_refused_before_any_upload(tmp_path: Path) -> None:
    from PIL import Image
    from wfbuild import context

    from invokekit.workflow import Workflow

    Image.new("RGB", (4, 4)).save(tmp_path / "still.png")
    wf = Workflow.load(video_concat_workflow(), context=context())
    with pytest.raises(MediaError, match="is not an MP4 video") as err:
        wf.set({"Joined.videos": [tmp_path / "still.png", tmp_path / "still.png"]})
    assert (err.value.node_id, err.value.field, err.value.node_label) == (CONCAT, "videos", "Joined")
