"""A server that dies mid-run: its items run on the other, nothing lost, nothing doubled.

The kill is real (SIGKILL of the second sandbox's server), and so is the freeze (SIGSTOP). A
server whose items complete but whose images cannot be fetched is a fault a real server does not
produce on demand: a fault proxy in front of the second sandbox resets every image download. The
kills come last, so that the second sandbox is restarted once (for the second kill).
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import pytest
from _faultproxy import FaultProxy, Rules
from _graphs import blank_resize

from invokekit.pool import Pool
from invokekit.sandbox import Sandbox


def one_file_per_index(out: Path, count: int) -> None:
    pngs = sorted(out.glob("*.png"))
    assert sorted(int(p.name.split("-")[0]) for p in pngs) == list(range(count)), [p.name for p in pngs]


@pytest.mark.server
@pytest.mark.timeout(240)
def test_a_server_that_stops_answering_is_dropped_after_the_request_timeout(
        invokeai_sandbox: Sandbox, second_sandbox: Sandbox, tmp_path: Path) -> None:
    widths = list(range(30, 42))
    a, b, out = invokeai_sandbox.url, second_sandbox.url, tmp_path / "out"
    frozen = False
    try:
        with Pool([a, b], timeout=3) as pool:  # a request unanswered for 3 s: the server is gone
            job = pool.submit(blank_resize(), sweep={"resize.width": widths}, out_dir=out)
            for r in job.as_completed(timeout=180):
                if r.server == b and not frozen:
                    os.kill(second_sandbox.pid, signal.SIGSTOP)  # alive, connected, silent
                    frozen = True
            results = job.result()
    finally:
        if frozen:
            os.kill(second_sandbox.pid, signal.SIGCONT)
    assert frozen
    assert [r.values["resize.width"] for r in results] == widths
    assert any(not e.delivered and e.server == b for e in job.timeline)
    one_file_per_index(out, len(widths))


@pytest.mark.server
@pytest.mark.timeout(240)
def test_items_whose_images_cannot_be_fetched_run_again_elsewhere_once(invokeai_sandbox: Sandbox,
                                                                      second_sandbox: Sandbox, tmp_path: Path) -> None:
    rules = Rules(reset=lambda method, path: method == "GET" and path.endswith("/full"), reset_times=10**6)
    widths = list(range(30, 38))
    out = tmp_path / "out"
    with FaultProxy(second_sandbox.url, rules) as proxy, Pool([invokeai_sandbox.url, proxy.url]) as pool:
        job = pool.submit(blank_resize(), sweep={"resize.width": widths}, out_dir=out, monitor="api")
        results = job.result(timeout=180)
    assert rules.resets >= 1  # the proxied server completed items and could not deliver them
    assert [r.values["resize.width"] for r in results] == widths
    assert {r.server for r in results} == {invokeai_sandbox.url}
    lost = [e.index for e in job.timeline if not e.delivered]
    assert lost and all(e.server == proxy.url for e in job.timeline if not e.delivered)
    assert sorted(e.index for e in job.timeline if e.delivered) == list(range(len(widths)))
    assert job.timings.servers[proxy.url].items == 0
    one_file_per_index(out, len(widths))


@pytest.mark.server
@pytest.mark.timeout(240)
@pytest.mark.parametrize("fetch", ["as they finish", "after the run"])
def test_a_server_killed_mid_run_leaves_its_items_to_the_other(
        invokeai_sandbox: Sandbox, second_sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        fetch: str) -> None:
    widths = list(range(30, 46))
    a, b, out = invokeai_sandbox.url, second_sandbox.url, tmp_path / "out"
    got, killed_after = [], None
    with caplog.at_level(logging.WARNING, logger="invokekit.pool"), Pool([a, b]) as pool:
        job = pool.submit(blank_resize(), sweep={"resize.width": widths},
                          out_dir=out if fetch == "as they finish" else None)
        for r in job.as_completed(timeout=180):
            got.append(r)
            if r.server == b and killed_after is None:
                os.kill(second_sandbox.pid, signal.SIGKILL)
                killed_after = len(got)
        if fetch == "after the run":  # b's delivered items cannot be fetched any more: they run again on a
            paths = job.download(out)
            assert [int(p.name.split("-")[0]) for p in paths] == list(range(len(widths)))
        results = job.result()
    assert killed_after is not None and killed_after < len(widths)
    assert len(got) == len(widths)  # each item delivered once
    assert [r.values["resize.width"] for r in results] == widths
    assert all(r.server == a for r in got[killed_after:])  # after the kill, the other server ran everything
    if fetch == "after the run":
        assert {r.server for r in results} == {a}
    one_file_per_index(out, len(widths))  # no item lost, none with two images
    assert any(not e.delivered and e.server == b for e in job.timeline)  # b had items when it died
    per_server = job.timings.servers
    if fetch == "as they finish":  # b's items fetched before it died count as b's
        assert per_server[b].items >= 1
    else:  # b's items could not be fetched after the run: they ran again on a
        assert per_server[b].items == 0
    assert per_server[a].items == len(widths) - per_server[b].items
    assert f"server {b} dropped from the pool" in caplog.text
