"""Resuming from the journal: images of items the server pruned are fetched by the names the
journal kept, images already stored intact are not fetched again, and a batch that never reached
the server is reported (exit 1), not silently skipped."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from _faultproxy import FaultProxy, Rules

from invokekit.cli import main
from invokekit.client import Client
from invokekit.errors import JobError, ServerError
from invokekit.results import read_journal


def small_graph(width: int) -> dict:
    return {
        "nodes": {
            "blank": {"id": "blank", "type": "blank_image", "width": 16, "height": 16, "is_intermediate": True},
            "resize": {"id": "resize", "type": "img_resize", "width": width, "height": 14, "use_cache": False},
        },
        "edges": [
            {"source": {"node_id": "blank", "field": "image"}, "destination": {"node_id": "resize", "field": "image"}}
        ],
    }


def is_enqueue(method: str, path: str) -> bool:
    return method == "POST" and path.endswith("/enqueue_batch")


def is_full(method: str, path: str) -> bool:
    return method == "GET" and path.endswith("/full")


@pytest.mark.server
def test_images_of_items_the_server_pruned_are_recovered_by_name(invokeai_sandbox, tmp_path: Path) -> None:
    journal = tmp_path / "journal.jsonl"
    destination = f"invokekit-test-{uuid.uuid4()}"
    with Client(invokeai_sandbox.url) as client:
        job = client.submit({"graph": small_graph(22), "runs": 2, "destination": destination}, journal=journal)
        job.wait(monitor="api", timeout=120)  # seen finished (names journaled); then the client dies
        names = sorted(ref.image_name for ref in job.images)
        assert len(names) == 2
        assert client.queue.delete_by_destination(destination)  # the server prunes the finished items
        with pytest.raises(ServerError):
            client.queue.item(job.item_ids[0])
    with Client(invokeai_sandbox.url) as client:
        [again] = client.resume(journal)
        assert [r.status for r in again.wait(monitor="api", timeout=30)] == ["completed", "completed"]
        paths = again.download(tmp_path / "out")
        assert sorted(ref.image_name for ref in again.images) == names  # the very images, by the journal's names
    assert len(paths) == 2 and all(p.stat().st_size > 0 for p in paths)
    assert read_journal(journal)[0].downloads_done


@pytest.mark.server
def test_images_already_stored_intact_are_not_fetched_again(invokeai_sandbox, tmp_path: Path) -> None:
    journal, out = tmp_path / "journal.jsonl", tmp_path / "out"
    with Client(invokeai_sandbox.url) as client:
        job = client.submit(small_graph(26), runs=2, journal=journal)
        job.wait(monitor="api", timeout=120)
        paths = sorted(job.download(out))
    # the process dies after storing the files, before it could journal that the batch is done
    lines = journal.read_text().splitlines(keepends=True)
    assert '"downloads_done"' in lines[-1]
    journal.write_text("".join(lines[:-1]))
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths}
    rules = Rules()
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, Client(proxy.url) as client:
        [again] = client.resume(journal, any_server=True)
        assert sorted(again.download(out)) == paths
    assert not [p for m, p in rules.seen if is_full(m, p)]  # nothing downloaded twice
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in paths} == before
    assert read_journal(journal)[0].downloads_done


@pytest.mark.server
def test_a_batch_that_never_reached_the_server_is_reported(invokeai_sandbox, tmp_path: Path, capsys) -> None:
    journal, out = tmp_path / "journal.jsonl", tmp_path / "out"
    with Client(invokeai_sandbox.url) as client:
        good = client.submit(small_graph(28), journal=journal)
    refused = Rules(answer=is_enqueue, answer_times=10, answer_status=500)  # every enqueue refused
    with FaultProxy(invokeai_sandbox.url, refused) as proxy, Client(proxy.url) as client, pytest.raises(ServerError):
        client.submit(small_graph(28), journal=journal)
    lost = read_journal(journal)[1]
    assert lost.item_ids is None and lost.error
    with Client(invokeai_sandbox.url) as client:
        jobs = client.resume(journal, any_server=True)
        assert [j.batch_id for j in jobs] == [good.batch_id, lost.batch_id]  # the lost one comes last
        with pytest.raises(JobError, match="never reached the server"):
            jobs[1].wait()
    capsys.readouterr()
    status = main(["resume", str(journal), "--url", invokeai_sandbox.url, "--out", str(out)])
    err = capsys.readouterr().err
    assert status == 1
    assert f"batch {lost.batch_id} never reached the server" in err and "submit the workflow again" in err
    assert [p.suffix for p in out.iterdir() if p.suffix == ".png"] == [".png"]  # the batch that reached it
