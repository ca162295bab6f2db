"""The benchmark summary and the runner's plumbing, without a server: targets, markdown, JSON read-back."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from invokekit.bench import NOTEBOOKS, RESULTS_TAG, notebooks_dir, read_results, stats
from invokekit.bench._pool_targets import pool_targets
from invokekit.bench._summary import evaluate_targets, write_summary

TARGET_COUNT = 17


def _stats(median: float) -> dict[str, float]:
    return {"n": 3, "median": median, "p95": median * 2, "mean": median, "min": median, "max": median}


RESULTS = {
    "monitor_latency": {
        "graph": "sdxl",
        "backends": {
            "events": {"latency_client_ms": _stats(2.0), "latency_server_ms": _stats(3.0), "cpu_share": 0.01},
            "db": {"latency_client_ms": _stats(40.0), "cpu_share": 0.005, "poll_slow_s": 0.1},
            "db:5ms": {"latency_client_ms": _stats(3.0), "cpu_share": 0.03, "poll_slow_s": 0.005},
            "api": {"skipped": "not asked for"},
        },
        "check_cost": {"db_ms": _stats(0.02), "api_ms": _stats(3.0), "api_over_db": 150.0},
        "plots": ["monitor_latency.png"],
    },
    "stage_timings": {
        "client_overhead_ms": _stats(20.0),
        "client_stage_ms": {"submit": _stats(8.0), "download": _stats(6.0)},
        "client_cpu_ms": _stats(5.0),
        "submit_ms": _stats(8.0),
        "total_s": _stats(0.6),
    },
    "sweeps_and_scale": {
        "sweep": {"variants": 100, "speedup": 30.0, "batch_submit_s": 0.02, "singles_submit_s": 0.6},
        "watch": {
            "api": [{"items": 1, "checks_per_cycle": 1.0, "cycle_ms": 3.0},
                    {"items": 1000, "checks_per_cycle": 1.0, "cycle_ms": 60.0}],
            "db": [{"items": 1, "checks_per_cycle": 1.0, "cycle_ms": 0.02},
                   {"items": 1000, "checks_per_cycle": 2.0, "cycle_ms": 10.0}],
        },
    },
}


RESULTS["peers"] = {
    "clients": {"invokekit": {"overhead_ms": {"median": 12.0}, "cpu_ms": {"median": 20.0},
                              "returned_ms": {"median": 2.0}, "png_ms": {"median": 8.0},
                              "requests": {"median": 2.0}}},
    "best_peer_median": {"cpu_ms": 9.0},
    "connections_in_one_process": 1,
    "sweep": {"last_completion_to_last_png_ms": 12.0, "pngs_before_last_completion": 15},
    "first_job": {"extra_ms": 40.0, "import_client_ms": 42.0},
}

RESULTS["pool"] = {
    "quick": False, "items": 48, "servers": {"a": {}, "b": {}, "c": {}}, "speed_control": "a: CPUs 0",
    "capacity": {"a": {"items_per_s": 0.8}, "b": {"items_per_s": 0.4}, "c": {"items_per_s": 0.4}},
    "ideal_s": 30.0, "pull_over_ideal": 1.1, "static_over_pull": 1.25, "split_bound": 1.33,
    "pull": {"makespan_s": 33.0}, "static": {"makespan_s": 41.25},
    "kill": {"server": "b", "exactly_once": True, "over_ideal_remaining": 1.2, "makespan_s": 36.0,
             "ideal_remaining_s": 30.0, "lost_runs": 2, "images": {"files": 48, "distinct_bytes": 48}},
}


def test_every_target_gets_a_verdict_and_a_reason() -> None:
    targets = evaluate_targets(RESULTS)
    assert len(targets) == TARGET_COUNT
    verdicts = {t["target"]: t["status"] for t in targets}
    assert list(verdicts.values()) == ["MISSED", "MET", "MISSED", "MET", "MET", "MISSED",
                                       "MISSED", "MISSED", "MET", "MET", "MET", "MET", "MISSED", "MET",
                                       "MET", "MISSED", "MET"]
    for t in targets:
        assert t["why"], t
    sqlite = next(t for t in targets if t["target"].startswith("SQLite"))
    assert "db:5ms" in sqlite["why"]  # a variant's trade-off is reported beside the default


def test_pool_targets_judge_a_full_run_only_and_doubled_images_miss() -> None:
    pool = RESULTS["pool"]
    mixed, split, killed = pool_targets(pool)
    assert "at most 1.33x" in split["why"] and "ideal 30.0 s" in mixed["why"]
    assert "48 image files (48 distinct) for 48 items" in killed["why"]
    doubled = {**pool, "kill": {**pool["kill"], "exactly_once": False, "images": {"files": 49, "distinct_bytes": 48}}}
    assert pool_targets(doubled)[2]["status"] == "MISSED"
    quick = pool_targets({**pool, "quick": True, "items": 6, "servers": {"a": {}, "b": {}}})
    assert [t["status"] for t in quick] == ["NOT MEASURED"] * 3
    assert quick[0]["value"] == 1.1 and "quick run (2 servers, 6 items)" in quick[0]["why"]
    assert all(t["why"].count(". ") == 0 for t in (mixed, split, killed))  # one sentence each


def test_targets_are_not_measured_without_results() -> None:
    targets = evaluate_targets({})
    assert [t["status"] for t in targets] == ["NOT MEASURED"] * TARGET_COUNT


def test_summary_markdown_lists_headlines_targets_plots_and_failures() -> None:
    text = write_summary({"mode": "quick", "url": "http://x", "elapsed_s": 1.0, "results": RESULTS,
                          "targets": evaluate_targets(RESULTS), "errors": {"stage_timings": "boom"}})
    assert "## Headline numbers" in text and "## Targets" in text
    assert "9.2 s" in text and "2080 ms" in text  # the baseline it is compared with
    assert text.count("| **") == TARGET_COUNT
    assert "![monitor_latency.png](monitor_latency.png)" in text
    assert "`stage_timings`: boom" in text


def test_stats_percentiles() -> None:
    result = stats([None, 4.0, 1.0, 3.0, 2.0])
    assert result["n"] == 4 and result["median"] == 2.5 and result["min"] == 1.0 and result["max"] == 4.0
    assert stats([])["median"] is None


def test_read_results_finds_the_tagged_json_output(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    other = nbformat.v4.new_code_cell("1")
    other.outputs = [nbformat.v4.new_output("display_data", data={"application/json": {"wrong": 1}})]
    tagged = nbformat.v4.new_code_cell("show_results(...)", metadata={"tags": [RESULTS_TAG]})
    tagged.outputs = [nbformat.v4.new_output("display_data", data={"application/json": {"answer": 42}})]
    nb.cells = [other, tagged]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, str(path))
    assert read_results(path) == {"answer": 42}
    nb.cells = [other]
    nbformat.write(nb, str(path))
    with pytest.raises(ValueError, match="no cell tagged"):
        read_results(path)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_notebooks_have_parameters_and_results_cells(name: str) -> None:
    nb = nbformat.read(str(notebooks_dir() / f"{name}.ipynb"), as_version=4)
    tags = [tag for cell in nb.cells for tag in cell.get("metadata", {}).get("tags", [])]
    assert tags.count("parameters") == 1 and tags.count(RESULTS_TAG) == 1
    assert not any(cell.get("outputs") for cell in nb.cells if cell.cell_type == "code"), "commit notebooks clean"


def test_the_peer_comparison_shows_each_client_its_ratios_and_workarounds() -> None:
    peers = {**RESULTS["peers"], "jobs": 3, "size": 256, "steps": 4,
             "ratios_best_peer_over_invokekit": {"cpu_ms": 0.45, "overhead_ms": 5.0}}
    peers["clients"] = {**peers["clients"],
                        "invokeai-python": {"version": "0.6.2", "cpu_ms": {"median": 9.0}, "workaround": "posts raw"}}
    peers["clients"]["invokekit"] = {**peers["clients"]["invokekit"], "workaround": "none"}
    text = write_summary({"results": {"peers": peers}, "targets": evaluate_targets({"peers": peers})})
    assert "## Beside the other clients" in text
    assert "| invokeai-python | 0.6.2 |" in text and "- invokeai-python: posts raw" in text
    assert "client CPU (process) 0.45x" in text and "overhead (wall - server run) 5.00x" in text
    cpu = next(t for t in evaluate_targets({"peers": peers}) if t["target"].startswith("client CPU"))
    assert cpu["status"] == "MISSED" and "invokeai-python's 9.0 ms" in cpu["why"]
    assert "## Beside" not in write_summary({"results": {}, "targets": []})
