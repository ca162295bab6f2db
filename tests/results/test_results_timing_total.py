"""``Timings.total`` is the run end to end: from loading the workflow to the last result, every
stage inside it, however the results were collected (streamed as they finish, or waited for)."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest
from _graphs import tiny_sdxl

from invokekit.client import Client, Job
from invokekit.results import Timings

pytestmark = pytest.mark.server

SDXL = "Text to Image - SDXL"  # from the server's library: loading it is a stage of its own


def _submit(client: Client) -> Job:
    seeds = [random.randrange(2**31) for _ in range(2)]  # never served from the cache
    return client.submit(SDXL, sets=tiny_sdxl(64, 1), sweep={"seed": seeds})


def _total_line(timings: Timings) -> float:
    [line] = [line for line in timings.table().splitlines() if line.startswith("total")]
    return float(line.split()[1])


def _check(timings: Timings, wall: float) -> None:
    stages = timings.stages
    assert {"load", "convert", "submit", "wait", "download"} <= set(stages), stages
    total = timings.total
    assert total is not None
    # the stages follow one another (the stream's downloads are counted after its wait): all inside
    assert sum(stages.values()) <= total + 1e-6, timings.table()
    assert total <= wall, (total, wall)
    assert abs(_total_line(timings) - total) < 0.001  # the table shows that total


def test_a_streamed_run_counts_its_wait_and_downloads_in_the_total(client: Client, tmp_path: Path) -> None:
    began = time.perf_counter()
    job = _submit(client)
    results = list(job.as_completed(tmp_path))
    wall = time.perf_counter() - began
    assert [r.status for r in results] == ["completed", "completed"]
    _check(job.timings, wall)


def test_a_waited_run_counts_its_wait_and_downloads_in_the_total(client: Client, tmp_path: Path) -> None:
    began = time.perf_counter()
    job = _submit(client)
    assert [r.status for r in job.wait(timeout=300)] == ["completed", "completed"]
    assert len(job.download(tmp_path)) == 2
    wall = time.perf_counter() - began
    _check(job.timings, wall)
