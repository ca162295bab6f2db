"""A sweep's items, kept by the client, and the small batches that carry a few of them each.

A pool does not send the sweep as one batch: it hands it out a few items at a time, so each
server's queue stays shallow and a fast server pulls more. The items are the ones the server
would make of the whole batch, in the order it would make them (``runs`` outermost, then the
product of the data lists, each inner list zipped: see :func:`invokekit.results._values.plan_values`),
so item ``i`` of a chunk is item ``i`` of the sweep wherever it runs. A chunk is the same graph
with ONE zipped data list holding just its items' values (or, for a sweep of plain runs, that
many runs): one server-side batch of exactly those items.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from invokekit.workflow import Batch
from invokekit.workflow._api_json import datum


def item_rows(batch: Batch) -> list[list[tuple[str, str, Any]]]:
    """Every item's swept ``(node_path, field_name, value)`` triples, in the server's order."""
    columns = [[[(str(d["node_path"]), str(d["field_name"]), v) for d, v in zip(inner, row, strict=True)]
                for row in zip(*(d["items"] for d in inner), strict=True)]
               for inner in batch.data if inner]
    combos = [[t for part in combo for t in part] for combo in itertools.product(*columns)]
    return [list(row) for _ in range(batch.runs) for row in combos]


def chunk_batch(batch: Batch, rows: Sequence[Sequence[tuple[str, str, Any]]], indices: Sequence[int]) -> Batch:
    """The batch of just the items ``indices`` of ``batch`` (``rows``: its :func:`item_rows`)."""
    chunk = batch.copy()
    picked = [rows[i] for i in indices]
    places = [(node, field) for node, field, _ in picked[0]] if picked else []
    if places:
        inner = [datum(node, field, [row[k][2] for row in picked]) for k, (node, field) in enumerate(places)]
        chunk._body["data"] = [inner]
        chunk.runs = 1
    else:  # no data: the items differ only by run
        chunk._body.pop("data", None)
        chunk.runs = len(indices)
    return chunk


__all__ = ["chunk_batch", "item_rows"]
