"""The benchmark runner end to end on the real sandbox, with the quick settings CI uses.

This keeps the notebooks working; it checks that every file is written and that the numbers have
the expected shape and types, never what the timings are (timings belong in the report).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from numbers import Real
from pathlib import Path
from typing import Any

import pytest

from invokekit.bench import FULL_ONLY, NOTEBOOKS, QUICK
from invokekit.cli import main
from invokekit.client import Transport
from invokekit.sandbox import Sandbox

pytestmark = pytest.mark.server

STATS_KEYS = {"n", "median", "p95", "mean", "min", "max"}
STAGES = {"load", "customize", "convert", "submit", "queued", "run", "detect", "download"}


@pytest.fixture(scope="module")
def bench_out(invokeai_sandbox: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("bench")
    code = main(["bench", "--quick", "--url", invokeai_sandbox.url, "--db", str(invokeai_sandbox.db_path),
                 "--out", str(out)])
    assert code == 0, (out / "summary.md").read_text() if (out / "summary.md").exists() else "no summary"
    yield out


def _load(out: Path, name: str) -> dict[str, Any]:
    return json.loads((out / f"{name}.json").read_text())


def _is_stats(value: Any, *, measured: bool = True) -> bool:
    if not isinstance(value, dict) or set(value) != STATS_KEYS:
        return False
    return not measured or (value["n"] > 0 and all(isinstance(value[k], Real) for k in STATS_KEYS))


def test_runner_writes_notebooks_json_plots_and_summary(bench_out: Path) -> None:
    for name in NOTEBOOKS:  # the peers (installed from PyPI) run in full mode only
        assert (bench_out / f"{name}.ipynb").is_file() == (name not in FULL_ONLY)
        if name in FULL_ONLY:
            continue
        results = _load(bench_out, name)
        assert results["plots"], f"{name} made no plot"
        for plot in results["plots"]:
            assert (bench_out / plot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", plot
    summary = json.loads((bench_out / "summary.json").read_text())
    assert summary["errors"] == {} and summary["mode"] == "quick"
    assert len(summary["targets"]) == 17
    quick, full_only = summary["targets"][:6], summary["targets"][6:]  # the peers' and the pool's: full runs judge
    assert all(t["status"] in ("MET", "MISSED") for t in quick), quick
    assert {t["status"] for t in full_only} == {"NOT MEASURED"}
    text = (bench_out / "summary.md").read_text()
    assert "## Targets" in text and "9.2 s" in text


def test_monitor_latency_results(bench_out: Path) -> None:
    data = _load(bench_out, "monitor_latency")
    assert data["graph"] == "sdxl"  # the sandbox has the tiny model
    for backend in ("api", "db", "events"):
        row = data["backends"][backend]
        assert row["statuses"] == ["completed"]
        assert _is_stats(row["latency_server_ms"]) and _is_stats(row["latency_client_ms"])
        assert row["latency_server_ms"]["n"] == QUICK["monitor_latency"]["jobs"]
        for key in ("requests_per_job", "checks_per_job", "cpu_ms_per_job", "cpu_share"):
            assert isinstance(row[key], Real) and row[key] >= 0, (backend, key)
    assert data["backends"]["db"]["requests_per_job"] < data["backends"]["api"]["requests_per_job"]
    cost = data["check_cost"]
    for kind in ("db_ms", "api_ms", "db_monitor_ms", "api_monitor_ms"):
        assert _is_stats(cost[kind])
    assert isinstance(cost["api_over_db"], Real)


def test_stage_timings_results(bench_out: Path) -> None:
    data = _load(bench_out, "stage_timings")
    quick = QUICK["stage_timings"]
    assert len(data["runs"]) == len(quick["sizes"]) * len(quick["steps"]) * quick["runs"]
    for run in data["runs"]:
        assert run["status"] == "completed"
        assert set(run["stages_s"]) == STAGES
        assert all(isinstance(v, Real) for v in run["stages_s"].values())
    for key in ("client_overhead_ms", "submit_ms", "total_s", "client_cpu_ms"):
        assert _is_stats(data[key]), key
    assert data["slowest_client_stage"] in STAGES


def test_sweeps_and_scale_results(bench_out: Path, invokeai_sandbox: Any) -> None:
    data = _load(bench_out, "sweeps_and_scale")
    quick = QUICK["sweeps_and_scale"]
    sweep = data["sweep"]
    assert sweep["variants"] == quick["variants"] == sweep["batch_items"]
    assert isinstance(sweep["speedup"], Real) and _is_stats(sweep["single_submit_ms"])
    for backend in ("api", "db", "events"):
        rows = data["watch"][backend]
        assert [r["items"] for r in rows] == quick["watch_counts"]
        assert all(isinstance(r["checks_per_cycle"], Real) and r["checks_per_cycle"] >= 1 for r in rows)
    # the throw-away items are gone and the processor runs again
    transport = Transport(invokeai_sandbox.url)
    for destination in data["discarded_destinations"]:
        counts = transport.get_json("/api/v1/queue/default/counts_by_destination", destination=destination)
        assert counts["pending"] == counts["canceled"] == counts["completed"] == 0, counts
    assert transport.get_json("/api/v1/queue/default/status")["processor"]["is_started"] is True


def test_pool_results(bench_out: Path) -> None:
    data = _load(bench_out, "pool")
    quick = QUICK["pool"]
    assert data["quick"] is True and data["items"] == quick["items"]
    assert set(data["servers"]) == set(quick["speeds"])
    for letter, server in data["servers"].items():  # each server ran with the CPU limits asked for
        asked = quick["speeds"][letter]
        assert server["limits"] == {"cpus": [int(asked["cpus"])], "threads": asked["threads"],
                                    "nice": asked.get("nice", 0)}
    for run in ("static", "pull", "kill"):
        row = data[run]
        assert row["items_delivered"] == row["distinct_seeds"] == quick["items"], run
        assert row["images"] == {"files": quick["items"], "distinct_bytes": quick["items"]}, run
        assert sum(s["items"] for s in row["servers"].values()) == quick["items"], run
        assert isinstance(row["makespan_s"], Real) and row["makespan_s"] > 0
    assert data["static"]["servers"]["a"]["items"] == data["static"]["servers"]["b"]["items"]  # the equal split
    kill = data["kill"]
    assert kill["exactly_once"] is True and kill["remaining"] == ["a"]
    assert kill["servers"]["a"]["items"] >= quick["items"] - round(quick["items"] / 2)  # all after the kill
    for key in ("ideal_s", "pull_over_ideal", "static_over_pull", "split_bound"):
        assert isinstance(data[key], Real), key
    # the sandboxes the notebook started are gone, and so is the one it killed
    for letter, server in data["servers"].items():
        if server["started_here"] or letter == kill["server"]:
            assert Sandbox(server["sandbox"], progress=None).status() is None, server["sandbox"]


def test_a_database_that_is_not_the_servers_is_refused_before_anything_runs(
    invokeai_sandbox: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    wrong = tmp_path / "nope.db"
    code = main(["bench", "--quick", "--url", invokeai_sandbox.url, "--db", str(wrong), "--out", str(out)])
    assert code == 2
    assert "cannot measure the SQLite backend" in capsys.readouterr().err
    assert not out.exists()
