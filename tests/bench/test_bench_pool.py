"""The pool benchmark's arithmetic, without a server: throughput from a timeline, the ideal
makespan, image counting, the timeline plot (the real run is in test_bench_run)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from invokekit.bench._pool import count_images, ideal_makespan, plot_timeline, prefix_for, server_rates
from invokekit.pool import PoolEvent

EVENTS = [
    # fast server: 4 items back to back in 4 s (1 item/s)
    *[PoolEvent("http://a", i, 0.0, float(i), float(i + 1)) for i in range(4)],
    # slow server: 2 items in 4 s, then one lost run that never started
    PoolEvent("http://b", 4, 0.0, 0.0, 2.0),
    PoolEvent("http://b", 5, 0.0, 2.0, 4.0),
    PoolEvent("http://b", 6, 3.0, None, None, delivered=False),
]


def test_rates_are_items_over_each_servers_running_time_and_skip_lost_runs() -> None:
    rates = server_rates(EVENTS)
    assert rates["http://a"] == {"items": 4, "busy_s": 4.0, "items_per_s": 1.0}
    assert rates["http://b"] == {"items": 2, "busy_s": 4.0, "items_per_s": 0.5}
    idle = [PoolEvent("http://a", 0, 0.0, 0.0, 1.0), PoolEvent("http://a", 1, 0.0, 3.0, 4.0)]  # 2 s waiting for work
    assert server_rates(idle)["http://a"]["items_per_s"] == 1.0
    later = server_rates(EVENTS, after=2.0)  # only runs started after a kill
    assert later["http://a"]["items"] == 2 and later["http://b"]["items"] == 1


def test_ideal_makespan_is_the_items_over_the_summed_throughput() -> None:
    rates = server_rates(EVENTS)
    assert ideal_makespan(6, rates) == pytest.approx(4.0)
    assert ideal_makespan(6, rates, ["http://a"]) == pytest.approx(6.0)  # the remaining servers only
    assert ideal_makespan(6, {}) == float("inf")


def test_images_are_counted_by_file_and_by_content(tmp_path: Path) -> None:
    (tmp_path / "0.png").write_bytes(b"one")
    (tmp_path / "1.png").write_bytes(b"one")  # the same image twice: one item delivered twice
    (tmp_path / "2.png").write_bytes(b"two")
    (tmp_path / "notes.txt").write_text("not an image")
    assert count_images(tmp_path) == {"files": 3, "distinct_bytes": 2}


def test_the_timeline_has_a_row_per_server_a_bar_per_run_and_a_legend() -> None:
    fig, ax = plt.subplots()
    plot_timeline(ax, EVENTS, {"http://a": "a", "http://b": "b"}, title="t", ideal=4.0, killed_at=3.5)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert len(ax.patches) == 7  # 6 delivered runs and one hatched bar for b's lost run
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[1:] == ["items in flight, lost with their server", "ideal makespan 4.0 s", "server killed at 3.5 s"]
    assert ax.get_xlabel() and ax.get_title() == "t"
    plt.close(fig)


def test_sandbox_names_follow_the_runs_own_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INVOKEKIT_SANDBOX", "mine")
    assert prefix_for() == "mine-pool" and prefix_for("x") == "x"
