"""One sweep over two real servers: every item once, in sweep order, with the server that made it."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path

import pytest
from _graphs import blank_resize, tiny_sdxl

from invokekit.client import Client
from invokekit.client._submit import find_batch_items
from invokekit.errors import JobCanceled, JobError
from invokekit.pool import Pool, PoolEvent, PoolJob
from invokekit.pool._dispatch import FEEDER
from invokekit.pool._share import MAX_CHUNK
from invokekit.results import Journal

SDXL = "Text to Image - SDXL"


def queue_items(job: PoolJob) -> dict[str, list[int]]:
    """Per server, the queue items the run's chunks made there (asked of the servers themselves)."""
    found: dict[str, list[int]] = {url: [] for url in job.servers}
    for url, batch_id, indices in job.chunks:
        with Client(url) as client:
            ids = find_batch_items(client.queue, batch_id, "default")
        assert len(ids) == len(indices)  # one server-side batch of exactly the chunk's items
        found[url] += ids
    return found


@pytest.mark.server
@pytest.mark.timeout(240)
def test_a_seed_sweep_spreads_over_both_servers_and_gives_each_image_once(servers: list[str],
                                                                         tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Pool(servers) as pool:
        job = pool.submit(SDXL, sets=tiny_sdxl(64, 1), sweep={"seed": list(range(1, 13))}, out_dir=out,
                          journal=Journal(tmp_path / "j.jsonl"))
        streamed = list(job.as_completed(timeout=180))
        results = job.result()
    assert len(streamed) == 12 and {id(r) for r in streamed} == {id(r) for r in results}
    assert [r.values["seed"] for r in results] == list(range(1, 13))  # sweep order
    assert {r.server for r in results} == set(servers)  # items on every server
    assert all(r.status == "completed" and len(r.images) == 1 for r in results)
    # 12 items in total across the servers' queues, none twice
    items = queue_items(job)
    assert sum(len(v) for v in items.values()) == 12 and all(items.values())
    # 12 distinct images in the folder, named by sweep index
    pngs = sorted(out.glob("*.png"))
    assert len(pngs) == 12
    assert sorted(int(p.name.split("-")[0]) for p in pngs) == list(range(12))
    assert len({hashlib.sha256(p.read_bytes()).hexdigest() for p in pngs}) == 12
    for index, r in enumerate(results):
        assert r.images[0].path is not None and r.images[0].path.name.startswith(f"{index}-")
    # the timings say who did what
    timings = job.timings
    assert sum(t.items for t in timings.servers.values()) == 12
    assert set(timings.servers) == set(servers)
    assert all(t.busy_s > 0 for t in timings.servers.values()) and timings.makespan_s > 0
    for t in timings.servers.values():
        assert t.busy_s + t.idle_s == pytest.approx(timings.makespan_s)
    timeline = job.timeline
    assert sorted(e.index for e in timeline if e.delivered) == list(range(12))
    for e in timeline:
        assert isinstance(e, PoolEvent) and e.server == results[e.index].server
        assert e.started_at is not None and e.completed_at is not None
        assert e.sent_at <= e.completed_at and e.started_at <= e.completed_at


@pytest.mark.server
@pytest.mark.timeout(180)
@pytest.mark.parametrize("strategy", ["static", "pull"])
def test_static_and_pull_both_deliver_everything(servers: list[str], strategy: str) -> None:
    widths = list(range(30, 40))
    with Pool(servers) as pool:
        job = pool.submit(blank_resize(), sweep={"resize.width": widths}, strategy=strategy)  # type: ignore[arg-type]
        results = job.result(timeout=120)
    assert [r.values["resize.width"] for r in results] == widths
    assert [r.images[0].width for r in results] == widths  # each item really is its own value
    assert {r.server for r in results} == set(servers)
    sizes = [len(indices) for _, _, indices in job.chunks]
    if strategy == "static":  # an equal split, sent up front: one batch per server
        assert sorted(sizes) == [5, 5] and {url for url, _, _ in job.chunks} == set(servers)
    else:  # small chunks, pulled as servers finish
        assert len(sizes) > 2 and max(sizes) <= MAX_CHUNK
    assert sorted(i for _, _, indices in job.chunks for i in indices) == list(range(len(widths)))


@pytest.mark.server
@pytest.mark.timeout(120)
def test_download_after_the_run_names_files_by_sweep_index(servers: list[str], tmp_path: Path) -> None:
    with Pool(servers) as pool:
        job = pool.submit(blank_resize(), sweep={"resize.width": [31, 32, 33, 34]})
        named = pool.submit(blank_resize(), sweep={"resize.width": [35]}, name="w{resize.width}-{index}")
        assert [p.name for p in named.download(tmp_path / "named")] == ["w35-0.png"]
        paths = job.download(tmp_path)
        again = job.download(tmp_path)  # already there: not fetched again, no second file
    assert [p.name.split("-")[0] for p in paths] == ["0", "1", "2", "3"]
    assert again == paths and len(list(tmp_path.glob("*.png"))) == 4


@pytest.mark.server
@pytest.mark.timeout(120)
def test_runs_without_a_sweep_and_clients_passed_in(servers: list[str]) -> None:
    clients = [Client(url) for url in servers]
    try:
        with Pool(clients) as pool:
            results = pool.submit(blank_resize(), runs=5).result(timeout=90)
        assert len(results) == 5 and all(r.status == "completed" for r in results)
        assert len({r.images[0].image_name for r in results}) == 5  # five real runs, not one cached
        assert all(c.queue.status() for c in clients)  # the pool left the clients it was given open
    finally:
        for c in clients:
            c.close()


@pytest.mark.server
@pytest.mark.timeout(120)
def test_cancel_stops_the_run_on_every_server(servers: list[str]) -> None:
    with Pool(servers) as pool:
        job = pool.submit(blank_resize(), sweep={"resize.width": list(range(30, 60))})
        first = next(iter(job.as_completed(timeout=60)))
        job.cancel()
        feeding = [t.name for t in threading.enumerate() if t.name.startswith(FEEDER)]
        assert feeding == []  # cancel returned after every send in flight: nothing lands later
        with pytest.raises(JobCanceled):
            job.wait(timeout=60)
        assert first.status == "completed"
        for url, batch_id, _ in job.chunks:  # nothing of the run is left waiting on a server
            with Client(url) as client:
                status = client.queue.batch_status(batch_id)
            assert status["pending"] == 0, status
    assert len(job.chunks) < 30 // MAX_CHUNK + 2  # far from every item was ever sent


@pytest.mark.server
@pytest.mark.timeout(120)
def test_closing_the_pool_stops_handing_out_a_running_sweep(servers: list[str]) -> None:
    with Pool(servers) as pool:
        job = pool.submit(blank_resize(), sweep={"resize.width": list(range(30, 60))})
        next(iter(job.as_completed(timeout=60)))
    sent = list(job.chunks)
    try:
        assert [t.name for t in threading.enumerate() if t.name.startswith(FEEDER)] == []
        with pytest.raises(JobError, match="closed"):
            job.wait(timeout=30)
        time.sleep(1.0)
        assert job.chunks == sent and len(sent) < 30 // MAX_CHUNK + 2  # nothing handed out after close
    finally:  # what the servers still hold of it: not this test's to run
        for url in {u for u, _, _ in sent}:
            with Client(url) as client:
                client.queue.cancel_by_batch_ids([b for u, b, _ in sent if u == url])
