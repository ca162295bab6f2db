"""Server states made real on a sandbox of this module's own (issue 16, points 2 and 3).

A full queue (``max_queue_size`` in its invokeai.yaml): the server takes fewer items than asked,
or none; that is :class:`QueueFull`, the items it took are canceled and journaled, never a silent
"0 item(s)". A re-created database (the server stopped, ``invokeai.db`` deleted, started again)
gives out the same item ids again: resuming an old journal must not take another batch's images.

The sandbox is started here (``$INVOKEKIT_SANDBOX`` + "-state") because these tests stop it and
delete its database: the session's shared sandbox stays untouched.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from invokekit.client import Client
from invokekit.errors import JobError, QueueFull
from invokekit.results import read_journal
from invokekit.sandbox import Sandbox

LIMIT = 4


def small_graph() -> dict:
    return {
        "nodes": {
            "blank": {"id": "blank", "type": "blank_image", "width": 16, "height": 16, "is_intermediate": True},
            "resize": {"id": "resize", "type": "img_resize", "width": 24, "height": 24, "use_cache": False},
        },
        "edges": [
            {"source": {"node_id": "blank", "field": "image"}, "destination": {"node_id": "resize", "field": "image"}}
        ],
    }


@pytest.fixture(scope="module")
def own_sandbox() -> Iterator[Sandbox]:
    name = f"{os.environ.get('INVOKEKIT_SANDBOX') or 'default'}-state"
    sandbox = Sandbox(name, progress=None, settings={"max_queue_size": LIMIT})
    sandbox.down()  # a server left running by an earlier session may have other settings
    sandbox.up()
    try:
        yield sandbox
    finally:
        sandbox.down()


@pytest.mark.server
def test_a_full_queue_is_an_error_and_the_items_it_took_are_canceled(own_sandbox: Sandbox, tmp_path: Path) -> None:
    with Client(own_sandbox.url) as client:
        client.queue.clear()
        client.queue.pause()  # items stay pending: the queue fills
        try:
            first = client.submit(small_graph(), runs=3)
            assert len(first.item_ids) == 3
            journal = tmp_path / "journal.jsonl"
            with pytest.raises(QueueFull) as info:  # room for one of three
                client.submit(small_graph(), runs=3, journal=journal)
            full = info.value
            assert (full.requested, full.enqueued, len(full.item_ids)) == (3, 1, 1)
            assert "max_queue_size" in str(full) and "1 of the 3" in str(full)
            assert client.queue.batch_status(full.batch_id)["canceled"] == 1
            [entry] = read_journal(journal)
            assert entry.item_ids == full.item_ids and entry.statuses == {full.item_ids[0]: "canceled"}
            assert entry.error and "QueueFull" in entry.error
            client.submit(small_graph())  # the last place
            with pytest.raises(QueueFull) as info:  # no room at all: never "0 item(s)"
                client.submit(small_graph(), runs=2)
            assert (info.value.requested, info.value.enqueued, info.value.item_ids) == (2, 0, [])
        finally:
            client.queue.clear()
            client.queue.resume()


@pytest.mark.server
def test_resume_after_the_database_was_recreated_takes_no_other_batchs_images(
    own_sandbox: Sandbox, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.jsonl"
    with Client(own_sandbox.url) as client:
        client.queue.resume()
        first = client.submit(small_graph(), journal=journal)
        first.wait(monitor="api", timeout=120)  # done on the server, not downloaded: resume would do it
    own_sandbox.down()
    for suffix in ("", "-wal", "-shm"):
        Path(str(own_sandbox.root / "databases" / "invokeai.db") + suffix).unlink(missing_ok=True)
    # started again with room for as many items as the first server gave out
    restarted = Sandbox(own_sandbox.name, progress=None, settings={"max_queue_size": 10_000}).up()
    with Client(restarted.url) as client:
        other = client.submit(small_graph(), runs=max(first.item_ids))  # the same ids, given out again
        other.wait(monitor="api", timeout=120)
        assert set(first.item_ids) <= set(other.item_ids)
        out = tmp_path / "out"
        with pytest.raises(JobError, match="belongs to batch") as info:
            for job in client.resume(journal, any_server=True):
                job.download(out)
        assert info.value.item_id == first.item_ids[0]
        assert not out.exists() or not any(out.iterdir())  # nothing of the other batch was downloaded
