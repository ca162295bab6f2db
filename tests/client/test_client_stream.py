"""Results as they finish, one socket.io connection per client, no second read of a finished item."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import socketio
from _graphs import blank_resize
from PIL import Image

from invokekit.client import Client

pytestmark = pytest.mark.server


def image_graph(width: int, height: int, value: int = 0) -> dict:
    """blank image -> resize (only the resize node keeps its image); ``value`` makes it unique."""
    return blank_resize(width, height, blank=(8 + value % 7, 8))


@pytest.fixture
def socket_clients(monkeypatch) -> list[socketio.Client]:
    """Every socket.io client created while the test runs."""
    made: list[socketio.Client] = []
    original = socketio.Client.__init__

    def counting(self, *args, **kwargs):
        made.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(socketio.Client, "__init__", counting)
    return made


def test_twenty_waits_with_the_default_monitor_share_one_socket_connection(client, tmp_path, socket_clients) -> None:
    requests = []
    for n in range(20):
        before = client.transport.requests_sent
        job = client.submit(image_graph(24, 16, n))
        [result] = job.as_completed(tmp_path)
        requests.append(client.transport.requests_sent - before)
        assert result.status == "completed" and result.images[0].path.is_file()
        if n:  # the first may finish before the new connection is subscribed: then its first read sees it
            assert job.last_updates[job.item_ids[0]].backend == "events"
    assert len(socket_clients) == 1
    assert client.events.opened == 1 and client.events.connections == 1 and client.events.drops == 0
    # steady state: the enqueue POST and the image GET (the server's version, for the sidecars, is
    # asked once per client); the first job also reads its item once
    assert sorted(requests)[len(requests) // 2] <= 2, requests


def test_as_completed_yields_each_item_with_its_image_on_disk(client, tmp_path) -> None:
    job = client.submit(image_graph(40, 24), sweep={"blank.width": [8, 9, 10, 11]})
    seen = []
    for result in job.as_completed(tmp_path):
        [image] = result.images
        assert image.path is not None and image.path.parent == tmp_path
        with Image.open(image.path) as img:
            assert img.size == (40, 24) == (image.width, image.height)
        seen.append(result.item_id)
    assert sorted(seen) == job.item_ids
    assert [r.item_id for r in job.results] == job.item_ids
    assert {t.item_id for t in job.timings.items.values()} == set(job.item_ids)


def test_outputs_from_the_events_are_the_items_own(client, tmp_path) -> None:
    """The second job's outputs come from its events (no item read): they match the server's item."""
    client.submit(image_graph(16, 16, 1)).wait()  # the connection is open from here on
    job = client.submit(image_graph(32, 20, 2))
    [result] = job.wait()
    final = job.last_updates[job.item_ids[0]]
    assert final.backend == "events" and final.outputs is not None
    item = client.queue.item(job.item_ids[0])
    session = item["session"]
    [prepared] = session["source_prepared_mapping"]["resize"]
    assert [i.image_name for i in result.images] == [session["results"][prepared]["image"]["image_name"]]
    assert (result.images[0].width, result.images[0].height) == (32, 20)
    assert (result.completed_at, result.started_at) == (item["completed_at"], item["started_at"])


@pytest.mark.parametrize("monitor", ["api", "db"])
def test_polling_monitors_take_outputs_from_their_own_reads(invokeai_sandbox, tmp_path, monitor) -> None:
    with Client(invokeai_sandbox.url, db_path=invokeai_sandbox.db_path) as client:
        job = client.submit(image_graph(20, 12), sweep={"blank.width": [8, 9]})
        results = list(job.as_completed(tmp_path, monitor=monitor))
        assert {job.last_updates[r.item_id].outputs is not None for r in results} == {True}
        assert all(r.images[0].path.is_file() for r in results)


def test_stopping_early_ends_the_watch(client, tmp_path) -> None:
    job = client.submit(image_graph(16, 16), sweep={"blank.width": [8, 9, 10, 11, 12, 13]})
    stream = job.as_completed(tmp_path)
    first = next(stream)
    assert first.terminal
    stream.close()
    deadline = time.monotonic() + 10
    while any(t.name.startswith("invokekit-watch") for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the watch thread is still running"
        time.sleep(0.05)
    assert job.results is None  # not every item was collected
    rest = job.wait(timeout=120)
    assert [r.status for r in rest] == ["completed"] * 6


def test_iterating_a_job_downloads_into_its_out_dir(client, tmp_path: Path) -> None:
    job = client.submit(image_graph(12, 12))
    job.out_dir = tmp_path / "here"
    [result] = list(job)
    assert result.images[0].path.parent == tmp_path / "here"


def test_output_images_are_fetched_before_their_items_are_reported_completed(client, tmp_path, monkeypatch) -> None:
    """The output node's event comes ~20 ms before the item's completion: the image GET starts then
    (into a temporary file), and the download only places it; nothing else is left in the folder."""
    client.submit(image_graph(16, 16, 3)).wait()  # the connection is open from here on
    gets: list[tuple[float, str]] = []
    raw = client.transport.raw

    def noting(method, path, **kw):
        if method == "GET" and path.endswith("/full"):
            gets.append((time.time(), path))
        return raw(method, path, **kw)

    monkeypatch.setattr(client.transport, "raw", noting)
    job = client.submit(image_graph(36, 20, 4), sweep={"blank.width": [8, 9, 10]})
    results = list(job.as_completed(tmp_path))
    assert len(gets) == 3, "one GET per image: placed from the prefetch, not fetched again"
    for result in results:
        [image] = result.images
        fetched = [t for t, path in gets if image.image_name in path]
        assert fetched and fetched[0] < job.last_updates[result.item_id].seen_at, "fetched before it was done"
        with Image.open(image.path) as img:
            assert img.size == (36, 20)
    images = sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".json")  # the sidecars aside
    assert images == sorted(r.images[0].path.name for r in results), "no temporary file left"
