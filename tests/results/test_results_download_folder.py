"""Output folders that cannot take an image, and names no file system takes, are typed errors
(:class:`DownloadError` naming the folder and image), never a bare OSError, never a half-written
file (issue 16, point 7). On the real sandbox; a full and a read-only disk are tiny tmpfs mounts."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from _faultproxy import FaultProxy, Rules

from invokekit.client import Client
from invokekit.errors import DownloadError, InvokekitError


def small_graph() -> dict:
    return {
        "nodes": {
            "blank": {"id": "blank", "type": "blank_image", "width": 16, "height": 16, "is_intermediate": True},
            "resize": {"id": "resize", "type": "img_resize", "width": 96, "height": 96, "use_cache": False},
        },
        "edges": [
            {"source": {"node_id": "blank", "field": "image"}, "destination": {"node_id": "resize", "field": "image"}}
        ],
    }


@pytest.fixture(scope="module")
def done(invokeai_sandbox) -> Iterator[tuple[str, str]]:
    """(server url, batch id) of one completed job with one image."""
    with Client(invokeai_sandbox.url) as client:
        job = client.submit(small_graph())
        job.wait(monitor="api", timeout=120)
        yield invokeai_sandbox.url, job.batch_id


@pytest.fixture
def tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs at tmp_path/mnt (root only; where mounting is not allowed the test says so)."""
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True)
    if made.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def _download(url: str, batch_id: str, out: Path) -> DownloadError:
    with Client(url) as client, pytest.raises(DownloadError) as info:
        client.job(batch_id).download(out, monitor="api")
    assert isinstance(info.value, InvokekitError)
    return info.value


@pytest.mark.server
def test_an_output_folder_that_is_a_file(done, tmp_path: Path) -> None:
    (tmp_path / "out").write_text("not a folder")
    error = _download(*done, tmp_path / "out")
    assert "is a file, not a folder" in str(error) and error.path == str(tmp_path / "out")
    error = _download(*done, tmp_path / "out" / "below")
    assert "cannot use the output folder" in str(error)


@pytest.mark.server
def test_a_full_disk_leaves_no_part_file(done, tmpfs: Path) -> None:
    filler = tmpfs / "filler"
    with open(filler, "wb", buffering=0) as fh:  # fill it: the image does not fit
        try:
            while True:
                fh.write(b"\0" * 512)
        except OSError:
            pass
    error = _download(*done, tmpfs)
    assert "cannot write it into" in str(error) and "No space left" in str(error)
    assert sorted(p.name for p in tmpfs.iterdir()) == ["filler"]


@pytest.mark.server
def test_a_read_only_folder(done, tmpfs: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(tmpfs)], check=True)
    error = _download(*done, tmpfs)
    assert "Read-only file system" in str(error)
    error = _download(*done, tmpfs / "sub")
    assert "cannot use the output folder" in str(error) and "Read-only" in str(error)


@pytest.mark.server
def test_a_300_character_image_name_is_refused(done, tmp_path: Path) -> None:
    url, batch_id = done
    with Client(url) as client:
        [result] = client.job(batch_id).wait(monitor="api", timeout=60)
    real = result.images[0].image_name
    long_name = "x" * 296 + ".png"

    def poison(body: bytes) -> bytes:
        return body.replace(real.encode(), json.dumps(long_name)[1:-1].encode())

    rules = Rules(rewrite_body=(lambda m, p: m == "GET" and f"/i/{result.item_id}" in p, poison))
    out = tmp_path / "out"
    with FaultProxy(url, rules) as proxy:
        error = _download(proxy.url, batch_id, out)
    assert "longer than 255 bytes" in str(error)
    assert not out.exists() or not os.listdir(out)
