"""The pulling policy and the chunk batches, without a server: pure functions over the sweep."""

from __future__ import annotations

from _graphs import blank_resize

from invokekit.client import Client
from invokekit.pool._items import chunk_batch, item_rows
from invokekit.pool._share import FIRST_CHUNK, MAX_CHUNK, ServerState, chunk_size, static_split, wants_more
from invokekit.results._values import plan_values
from invokekit.workflow import Batch


def server(port: int, seconds: float | None, outstanding: int = 0) -> ServerState:
    state = ServerState(client=Client(f"http://127.0.0.1:{port}"), batch=Batch(), rows=[])
    state.item_seconds, state.outstanding = seconds, outstanding
    return state


def test_chunks_follow_each_servers_speed_and_share() -> None:
    fast, slow = server(1, 0.5), server(2, 2.0)
    servers = [fast, slow]
    assert chunk_size(fast, servers, 100) == MAX_CHUNK  # a 2 s chunk on a fast server: 4 items
    assert chunk_size(slow, servers, 100) == 1  # one 2 s item
    assert chunk_size(fast, servers, 3) == 1  # the end: never more than its share of what is left
    unknown = server(3, None)
    assert chunk_size(unknown, [unknown, fast], 100) == FIRST_CHUNK


def test_a_server_pulls_when_its_queue_is_shallow_and_holds_back_at_the_end() -> None:
    fast, slow = server(1, 1.0), server(2, 10.0)
    assert wants_more(slow, [fast, slow], 50)
    assert not wants_more(server(4, 1.0, outstanding=2), [fast], 50)  # two unfinished: enough queued
    # three items left: the fast server finishes them all before the slow one could finish one
    assert not wants_more(slow, [fast, slow], 3)
    assert wants_more(fast, [fast, slow], 3)
    assert wants_more(slow, [fast, slow], 30)
    twin, other = server(5, 1.0), server(6, 1.0)
    assert wants_more(twin, [twin, other], 1) and wants_more(other, [twin, other], 1)  # a tie: no one waits
    twin.outstanding = other.outstanding = 1
    assert wants_more(twin, [twin, other], 1)
    fast.alive = False
    assert wants_more(slow, [fast, slow], 3)  # nobody else: the slow server takes it
    assert not wants_more(slow, [fast, slow], 0)


def test_the_static_split_is_equal_and_contiguous() -> None:
    servers = [server(1, None), server(2, None), server(3, None)]
    static_split(list(range(10)), servers)
    assert [s.assigned for s in servers] == [[0, 1, 2, 3], [4, 5, 6], [7, 8, 9]]


def test_a_chunk_is_one_batch_of_exactly_its_items_in_sweep_order() -> None:
    batch = Batch.of(blank_resize(), runs=2).sweep("resize.width", [30, 31, 32])
    batch.sweep({"resize.height": [20, 21], "blank.width": [8, 9]})  # a zipped pair
    rows = item_rows(batch)
    assert len(rows) == batch.item_count == 12
    places = batch.value_places
    whole = plan_values(batch.data, places, {}, batch.runs)
    chunk = chunk_batch(batch, rows, [1, 4, 11])
    assert chunk.item_count == 3 and chunk.runs == 1
    assert plan_values(chunk.data, places, {}, chunk.runs) == [whole[1], whole[4], whole[11]]
    assert batch.item_count == 12  # the sweep's batch is left as it was
    plain = Batch.of(blank_resize(), runs=5)
    assert chunk_batch(plain, item_rows(plain), [0, 3]).runs == 2
