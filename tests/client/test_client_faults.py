"""Faults the real server cannot produce on demand, injected by a loopback proxy in front of it:
a lost enqueue response (exactly once), a truncated download, a hostile image name."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from _faultproxy import FaultProxy, Rules
from _graphs import blank_resize

from invokekit.client import Client
from invokekit.errors import DownloadError, ServerUnavailable
from invokekit.results import read_journal


def is_enqueue(method: str, path: str) -> bool:
    return method == "POST" and path.endswith("/enqueue_batch")


@pytest.mark.server
@pytest.mark.parametrize("fault", ["connection closed", "response too late"])
def test_lost_enqueue_response_leaves_exactly_one_batch(invokeai_sandbox, tmp_path: Path, fault: str) -> None:
    if fault == "connection closed":
        rules, timeout = Rules(drop_response=is_enqueue), 30.0
    else:
        rules, timeout = Rules(stall_response=is_enqueue, stall_seconds=3.0), 1.0
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, Client(proxy.url, timeout=timeout) as client:
        job = client.submit(blank_resize(), runs=2, journal=tmp_path / "journal.jsonl")
        assert rules.dropped == 1
        assert sum(1 for m, p in rules.seen if is_enqueue(m, p)) == 1  # never sent twice
    with Client(invokeai_sandbox.url) as direct:
        status = direct.queue.batch_status(job.batch_id)
        assert status["total"] == 2
        assert len(job.item_ids) == 2 and job.item_ids == sorted(job.item_ids)
        results = direct.job(job.batch_id).wait(monitor="api", timeout=120)
        assert [r.item_id for r in results] == job.item_ids
        assert all(r.status == "completed" for r in results)
    [entry] = read_journal(tmp_path / "journal.jsonl")
    assert entry.batch_id == job.batch_id and entry.item_ids == job.item_ids


def test_unreachable_server_sends_nothing_and_journals_the_failure(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens there once closed
    client = Client(f"http://127.0.0.1:{port}", timeout=2)
    with pytest.raises(ServerUnavailable):
        client.submit(blank_resize(), journal=tmp_path / "j.jsonl")
    [entry] = read_journal(tmp_path / "j.jsonl")
    assert entry.item_ids is None and entry.error


@pytest.mark.server
def test_truncated_download_raises_and_leaves_no_file(invokeai_sandbox, tmp_path: Path) -> None:
    with Client(invokeai_sandbox.url) as client:
        job = client.submit(blank_resize(48))
        [result] = job.wait(monitor="api", timeout=120)
    assert result.status == "completed" and len(result.images) == 1
    rules = Rules(truncate_body=lambda m, p: p.endswith("/full"))
    out = tmp_path / "out"
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, Client(proxy.url) as client:
        again = client.job(job.batch_id)
        again.wait(monitor="api", timeout=60)
        with pytest.raises(DownloadError, match=r"truncated|broke off"):
            again.download(out)
    assert rules.truncated == 1
    assert list(out.iterdir()) == []
    # the same download without the fault works, and a second one (same bytes) is fine
    with Client(invokeai_sandbox.url) as client:
        direct = client.job(job.batch_id)
        [path] = direct.download(out)
        assert direct.download(out) == [path]
    assert path.name == f"{result.item_id}-resize.png"  # a readable name, never the server's uuid
    assert sorted(p.name for p in out.iterdir()) == [path.name, path.name + ".json"]  # and its sidecar


@pytest.mark.server
@pytest.mark.parametrize("hostile", ["../escaped.png", "/tmp/abs.png", "a\\b.png", "..", "x\x00.png"])
def test_hostile_image_name_from_the_server_is_refused(invokeai_sandbox, tmp_path: Path, hostile: str) -> None:
    with Client(invokeai_sandbox.url) as client:
        job = client.submit(blank_resize(44))
        [result] = job.wait(monitor="api", timeout=120)
    real_name = result.images[0].image_name

    def poison(body: bytes) -> bytes:
        return body.replace(real_name.encode(), json.dumps(hostile)[1:-1].encode())

    rules = Rules(rewrite_body=(lambda m, p: m == "GET" and f"/i/{result.item_id}" in p, poison))
    out = tmp_path / "deep" / "out"
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, Client(proxy.url) as client:
        poisoned = client.job(job.batch_id)
        [seen] = poisoned.wait(monitor="api", timeout=60)
        assert seen.images[0].image_name == hostile
        with pytest.raises(DownloadError, match="escape"):
            poisoned.download(out)
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
