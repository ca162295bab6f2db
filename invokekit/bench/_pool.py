"""What the pool benchmark (``notebooks/pool.ipynb``) needs beside the pool itself: sandbox servers
of different speed, each server's throughput and the ideal makespan from a run's timeline, a
server killed mid-sweep, and the timeline plot.

The speed difference is made with CPU limits (:mod:`invokekit.sandbox._limits`): by default server
"a" runs alone on CPU 0 and "b" and "c" share CPU 1, each with one torch thread, so "a" is about
twice as fast as either of the others while nothing else runs; "b" and "c" also run at nice 5, so
that other work on the machine (which the kernel moves to whichever CPU is less loaded) takes its
time from them rather than evening the servers out. The throughputs are measured in each run (the
load of the machine changes between runs, and with it the speeds), never assumed.

Private: the notebook imports these through :mod:`invokekit.bench._pool`.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from invokekit.pool import PoolEvent, PoolJob
from invokekit.results import ItemResult
from invokekit.sandbox import Sandbox

#: server letter -> its CPU limits (``Sandbox(cpus=..., threads=..., nice=...)``): "a" alone on
#: CPU 0, "b" and "c" sharing CPU 1 (about half of it each) at a lower CPU weight
SPEEDS: dict[str, dict[str, Any]] = {
    "a": {"cpus": "0", "threads": 1},
    "b": {"cpus": "1", "threads": 1, "nice": 5},
    "c": {"cpus": "1", "threads": 1, "nice": 5},
}


def prefix_for(prefix: str = "") -> str:
    """The benchmark's sandbox names start with ``prefix``, else ``$INVOKEKIT_SANDBOX`` + "-pool"
    (so that parallel test runs with their own sandboxes never share the benchmark's)."""
    return prefix or f"{os.environ.get('INVOKEKIT_SANDBOX') or 'default'}-pool"


def start_servers(prefix: str, speeds: Mapping[str, Mapping[str, Any]]) -> dict[str, Sandbox]:
    """Start (or reuse, restarting one that runs with other limits) one sandbox per entry of
    ``speeds``, named ``{prefix}-{letter}``, side by side; letter -> sandbox."""
    sandboxes = {letter: Sandbox(f"{prefix}-{letter}", cpus=opts.get("cpus", ""), threads=opts.get("threads", 0),
                                 nice=opts.get("nice", 0), progress=None) for letter, opts in speeds.items()}
    with ThreadPoolExecutor(len(sandboxes) or 1) as ex:
        for future in [ex.submit(sb.up) for sb in sandboxes.values()]:
            future.result()
    return sandboxes


def stop_servers(sandboxes: Mapping[str, Sandbox], *, started_only: bool = True) -> list[str]:
    """Stop the sandboxes this benchmark started (all with ``started_only=False``); their names."""
    stopped = []
    for sb in sandboxes.values():
        if sb.started or not started_only:
            sb.down()
            stopped.append(sb.name)
    return stopped


def kill(sandbox: Sandbox) -> int:
    """SIGKILL the sandbox's server and its children at once (a crash, not a shutdown); its pid."""
    pid = sandbox.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(os.getpgid(pid), signal.SIGKILL)
    return pid


def server_rates(events: Sequence[PoolEvent], *, after: float | None = None) -> dict[str, dict[str, float]]:
    """Per server: the items it delivered (those started after ``after`` when given), the time
    it spent running them (the union of their server start -> completion intervals) and items per
    second of that time: its throughput in that very run, under that run's load.

    Time a server spent waiting for work is not in it, so a dispatcher that lets a server idle
    (late chunks, an unbalanced tail) ends later than the ideal made from these rates.
    """
    runs: dict[str, list[tuple[float, float]]] = {}
    for e in events:
        if not e.delivered or e.started_at is None or e.completed_at is None:
            continue
        if after is not None and e.started_at < after:
            continue
        runs.setdefault(e.server, []).append((e.started_at, e.completed_at))
    out = {}
    for server, spans in runs.items():
        busy = _union(spans)
        out[server] = {"items": len(spans), "busy_s": busy, "items_per_s": len(spans) / busy if busy > 0 else 0.0}
    return out


def _union(intervals: Sequence[tuple[float, float]]) -> float:
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop > end:
            total += stop - max(start, end)
            end = stop
    return total


def ideal_makespan(count: int, rates: Mapping[str, Mapping[str, float]], servers: Sequence[str] | None = None) -> float:
    """``count`` items over the summed throughput of ``servers`` (default: all in ``rates``)."""
    chosen = list(rates) if servers is None else list(servers)
    total = sum(rates[s]["items_per_s"] for s in chosen if s in rates)
    return count / total if total > 0 else float("inf")


def count_images(folder: Path) -> dict[str, int]:
    """The image files in ``folder``: how many, and how many distinct contents (a doubled image
    would show as two files, a re-run of one item as two files of one index)."""
    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in (".png", ".jpg", ".webp"))
    return {"files": len(files), "distinct_bytes": len({p.read_bytes() for p in files})}


def run_summary(job: PoolJob, results: Sequence[ItemResult], names: Mapping[str, str], folder: Path) -> dict[str, Any]:
    """One run's numbers, servers by letter: makespan, per-server items / busy / idle and rate,
    what landed in ``folder``, and the timeline (one row per item run)."""
    timings = job.timings
    return {
        "makespan_s": timings.makespan_s,
        "servers": {names[url]: {"items": t.items, "busy_s": t.busy_s, "idle_s": t.idle_s}
                    for url, t in timings.servers.items()},
        "rates": {names[url]: r for url, r in server_rates(job.timeline).items()},
        "images": count_images(folder),
        "items_delivered": len(results),
        "distinct_seeds": len({r.values.get("seed") for r in results}),
        "timeline": [{"server": names.get(e.server, e.server), "index": e.index, "sent_at": e.sent_at,
                      "started_at": e.started_at, "completed_at": e.completed_at, "delivered": e.delivered}
                     for e in job.timeline],
    }


def plot_timeline(ax: Any, events: Sequence[PoolEvent], names: Mapping[str, str], *, title: str,
                  ideal: float | None = None, killed_at: float | None = None) -> None:
    """One row per server, one bar per item run (server start -> completion). Runs lost with a
    killed server (never seen to start) are one hatched bar per server, up to the kill."""
    from matplotlib.patches import Patch

    rows = list(names)
    colors = {"delivered": "tab:blue", "lost": "tab:red"}
    lost: dict[str, list[PoolEvent]] = {}
    for e in events:
        if e.server not in names:
            continue
        if not e.delivered:
            lost.setdefault(e.server, []).append(e)
        if e.started_at is None or e.completed_at is None:
            continue
        ax.barh(rows.index(e.server), e.completed_at - e.started_at, left=e.started_at, height=0.6,
                color=colors["delivered" if e.delivered else "lost"], edgecolor="white", linewidth=0.6,
                hatch=None if e.delivered else "//")
    for server, runs in lost.items():
        done = [e.completed_at for e in events if e.server == server and e.delivered and e.completed_at is not None
                and (killed_at is None or e.completed_at <= killed_at)]
        left = max([min(e.sent_at for e in runs), *done])
        right = killed_at if killed_at is not None else left
        y = rows.index(server)
        ax.barh(y, max(right - left, 0.05), left=left, height=0.6, facecolor="none", edgecolor=colors["lost"],
                hatch="//")
        ax.text(right, y, f" {len(runs)} lost", va="center", fontsize=8, color=colors["lost"])
    ax.set_yticks(range(len(rows)), [names[r] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("seconds since the sweep was submitted")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    handles: list[Any] = [Patch(color=colors["delivered"], label="item run (server start -> completion)")]
    if lost:
        handles.append(Patch(facecolor="none", edgecolor=colors["lost"], hatch="//",
                             label="items in flight, lost with their server"))
    if ideal is not None:
        handles.append(ax.axvline(ideal, color="black", linestyle="--", label=f"ideal makespan {ideal:.1f} s"))
    if killed_at is not None:
        handles.append(ax.axvline(killed_at, color="tab:red", linestyle=":",
                                  label=f"server killed at {killed_at:.1f} s"))
    ax.legend(handles=handles, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))


__all__ = ["SPEEDS", "count_images", "ideal_makespan", "kill", "plot_timeline", "prefix_for", "run_summary",
           "server_rates", "start_servers", "stop_servers"]
