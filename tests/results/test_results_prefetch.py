"""Images fetched ahead of their item's completion (``results._prefetch``), on the real sandbox:
a verified temporary file the download only places; what no download takes is removed; a failed
or wrong prefetch is never used."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from _graphs import blank_resize
from PIL import Image

from invokekit.client import Client
from invokekit.results import download_image
from invokekit.results._prefetch import Prefetcher

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def image_name(invokeai_sandbox) -> str:
    with Client(invokeai_sandbox.url) as client:
        [result] = client.submit(blank_resize(26, 14)).result(timeout=120, monitor="api")
        return result.images[0].image_name


@pytest.fixture
def pool():
    with ThreadPoolExecutor(2) as executor:
        yield executor


def _parts(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.glob(".invokekit-*.part")) if folder.exists() else []


def test_a_prefetched_image_is_only_placed_by_the_download(client: Client, image_name: str, tmp_path: Path,
                                                            pool) -> None:
    ahead = Prefetcher(client.transport, tmp_path, pool)
    ahead.start(image_name, 26, 14)
    ahead.start(image_name, 26, 14)  # once
    taken = ahead.take(image_name, tmp_path)
    assert taken is not None and taken[1:] == (26, 14) and taken[0].parent == tmp_path
    assert not (tmp_path / image_name).exists(), "nothing is placed ahead"
    sent = client.transport.requests_sent
    path, width, height = download_image(client.transport, image_name, tmp_path, size=(26, 14),
                                         filename="named.png", prefetched=taken)
    assert client.transport.requests_sent == sent, "placed, not fetched again"
    assert path == tmp_path / "named.png" and (width, height) == (26, 14)
    with Image.open(path) as img:
        assert img.size == (26, 14)
    assert _parts(tmp_path) == [] and (ahead.started, ahead.used) == (1, 1)
    assert ahead.take(image_name, tmp_path) is None, "taken once"


def test_what_no_download_took_is_removed_and_nothing_starts_after_close(client: Client, image_name: str,
                                                                         tmp_path: Path, pool) -> None:
    ahead = Prefetcher(client.transport, tmp_path, pool)
    ahead.start(image_name, 26, 14)
    ahead.close()
    pool.shutdown(wait=True)  # the fetch has ended, and with it the file it made
    assert _parts(tmp_path) == [] and sorted(tmp_path.iterdir()) == []
    ahead.start(image_name, 26, 14)
    assert ahead.started == 1


def test_a_failed_prefetch_is_not_used_and_leaves_no_file(client: Client, tmp_path: Path, pool) -> None:
    ahead = Prefetcher(client.transport, tmp_path, pool)
    ahead.start("no-such-image.png", 10, 10)
    assert ahead.take("no-such-image.png", tmp_path) is None
    assert _parts(tmp_path) == []
    ahead.start("../escape.png", 1, 1)  # an unsafe name is never fetched ahead (the download refuses it)
    assert ahead.started == 1


def test_a_prefetch_of_another_size_or_folder_is_dropped_and_the_image_fetched(client: Client, image_name: str,
                                                                               tmp_path: Path, pool) -> None:
    ahead = Prefetcher(client.transport, tmp_path, pool)
    ahead.start(image_name, None, None)
    assert ahead.take(image_name, tmp_path / "elsewhere") is None
    pool.shutdown(wait=True)
    assert _parts(tmp_path) == []
    with ThreadPoolExecutor(1) as again:
        ahead = Prefetcher(client.transport, tmp_path, again)
        ahead.start(image_name, None, None)
        part, width, height = ahead.take(image_name, tmp_path)
    wrong = (part, width + 1, height)  # as if the server had said another size
    sent = client.transport.requests_sent
    path, w, h = download_image(client.transport, image_name, tmp_path, size=(26, 14), prefetched=wrong)
    assert client.transport.requests_sent == sent + 1 and (w, h) == (26, 14) and path.is_file()
    assert _parts(tmp_path) == []
