"""Downloads from the real sandbox server: verified, atomic, never overwriting a different file."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from _graphs import blank_resize
from PIL import Image

from invokekit.client import Client
from invokekit.errors import DownloadError
from invokekit.results import download_image


@pytest.fixture(scope="module")
def image_name(invokeai_sandbox) -> str:
    with Client(invokeai_sandbox.url) as client:
        [result] = client.submit(blank_resize(30, 18)).result(timeout=120, monitor="api")
        return result.images[0].image_name


@pytest.mark.server
def test_download_is_verified_and_idempotent(client: Client, image_name: str, tmp_path: Path) -> None:
    path, width, height = download_image(client.transport, image_name, tmp_path / "new")
    assert (width, height) == (30, 18) and path == tmp_path / "new" / image_name
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == (30, 18)
    assert download_image(client.transport, image_name, tmp_path / "new")[0] == path  # same bytes: fine
    assert sorted(p.name for p in (tmp_path / "new").iterdir()) == [image_name]


@pytest.mark.server
def test_a_different_existing_file_is_never_overwritten(invokeai_sandbox, image_name: str, tmp_path: Path) -> None:
    precious = tmp_path / image_name
    precious.write_bytes(b"my own file")
    with Client(invokeai_sandbox.url) as client, pytest.raises(DownloadError, match="not overwriting"):
        download_image(client.transport, image_name, tmp_path)
    assert precious.read_bytes() == b"my own file"
    assert [p.name for p in tmp_path.iterdir()] == [image_name]  # no temp file left behind


@pytest.mark.server
def test_an_unknown_image_is_a_download_error(invokeai_sandbox, tmp_path: Path) -> None:
    with Client(invokeai_sandbox.url) as client, pytest.raises(DownloadError):
        download_image(client.transport, "no-such-image.png", tmp_path)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.server
@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_images_are_written_with_the_users_umask(invokeai_sandbox, image_name: str, tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        with Client(invokeai_sandbox.url) as client:
            path, _, _ = download_image(client.transport, image_name, tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask  # as any new file (mkstemp would give 0600)
