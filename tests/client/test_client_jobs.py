"""Submit, watch, collect, download and cancel real jobs on the sandbox server (model-free graphs)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from _graphs import blank_resize, slow_graph
from PIL import Image

from invokekit.client import Client
from invokekit.errors import JobCanceled, JobFailed


@pytest.mark.server
@pytest.mark.parametrize("monitor", ["api", "db", "events", "auto"])
def test_submit_wait_download_with_each_monitor(client: Client, tmp_path: Path, monitor: str) -> None:
    job = client.submit(blank_resize(52, 20))
    seen = []
    results = job.wait(monitor=monitor, timeout=120, on_update=seen.append, progress=monitor == "auto")
    assert [r.item_id for r in results] == job.item_ids
    [result] = results
    assert result.status == "completed"
    assert [(i.node_id, i.width, i.height) for i in result.images] == [("resize", 52, 20)]
    assert seen and seen[-1].status == "completed"
    [path] = job.download(tmp_path)
    with Image.open(path) as img:
        assert img.size == (52, 20)
    assert result.images[0].path == path
    timings = job.timings.as_dict()
    assert {"submit", "wait", "download"} <= set(timings["client"])
    [item] = timings["items"]
    assert item["run"] is not None and item["queued"] is not None and item["detect_latency"] is not None


@pytest.mark.server
def test_sweep_is_one_post_with_one_item_per_value(client: Client, tmp_path: Path) -> None:
    before = client.transport.requests_sent
    job = client.submit(blank_resize(), sweep={"resize.width": [33, 34, 35, 36]})
    assert client.transport.requests_sent - before == 1  # the server expands the batch
    assert len(job.item_ids) == 4
    results = job.result(timeout=180, monitor="api")
    assert sorted(r.images[0].width for r in results) == [33, 34, 35, 36]
    paths = job.download(tmp_path)
    assert len({p.name for p in paths}) == 4
    assert sorted(Image.open(p).size[0] for p in paths) == [33, 34, 35, 36]


@pytest.mark.server
def test_failing_job_raises_job_failed_with_the_servers_message(client: Client) -> None:
    graph = {
        "nodes": {
            "blur": {"id": "blur", "type": "img_blur", "image": {"image_name": "no-such-image.png"}, "use_cache": False}
        },
        "edges": [],
    }
    job = client.submit(graph)
    with pytest.raises(JobFailed) as info:
        job.result(timeout=120, monitor="api")
    assert info.value.item_id == job.item_ids[0]
    assert info.value.error_type and "not found" in (info.value.error_message or "").lower()
    assert info.value.error_traceback
    [result] = job.results or []
    assert result.status == "failed" and result.images == []


def wait_for_status(client: Client, item_id: int, status: str, limit: float = 60) -> None:
    end = time.monotonic() + limit
    while client.queue.item(item_id)["status"] != status:
        assert time.monotonic() < end, f"item {item_id} never became {status}"
        time.sleep(0.05)


@pytest.mark.server
def test_cancel_a_running_and_a_queued_item(client: Client) -> None:
    job = client.submit(slow_graph(), runs=2)
    first, last = job.item_ids
    wait_for_status(client, first, "in_progress")
    client.queue.cancel(last)  # still pending behind the first one
    client.queue.cancel(first)  # running
    results = job.wait(monitor="api", timeout=120)
    assert [r.status for r in results] == ["canceled", "canceled"]
    with pytest.raises(JobCanceled):
        job.result(timeout=30, monitor="api")


@pytest.mark.server
def test_job_cancel_cancels_only_unfinished_items(client: Client) -> None:
    done = client.submit(blank_resize())
    done.wait(monitor="api", timeout=120)
    assert done.cancel() == []
    assert done.status() == {done.item_ids[0]: "completed"}
    job = client.submit(slow_graph())
    assert job.cancel() == job.item_ids
    assert [r.status for r in job.wait(monitor="api", timeout=120)] == ["canceled"]
