"""Benchmarks: run the papermill notebooks in ``benchmarks/``, collect their numbers, write a summary.

The numbers live in the notebooks (each one is readable on its own, with its plots); this module
only runs them with papermill, reads back the JSON each one shows in its cell tagged ``results``
(with nbformat: scrapbook has been unmaintained since 2021), and judges the headline numbers
against the targets of the project (``summary.md``). It also holds the few helpers the notebooks
share (statistics, the model-free graph, a fast reference observer), so they measure alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from invokekit._bench_summary import BASELINE, evaluate_targets, write_summary

#: the notebooks, in the order they run
NOTEBOOKS = ("monitor_latency", "stage_timings", "sweeps_and_scale")
#: the tag of the cell whose ``application/json`` output holds a notebook's numbers
RESULTS_TAG = "results"
KERNEL_NAME = "invokekit"
#: what the SDXL benchmarks run: InvokeAI's shipped workflow on the sandbox's tiny models
SDXL_WORKFLOW = "Text to Image - SDXL"
SDXL_MODELS = {"main": "tiny-sdxl", "vae": "tiny-sdxl-vae"}

#: small counts for CI (seconds each), and counts for a real report (minutes)
QUICK: dict[str, dict[str, Any]] = {
    "monitor_latency": {"jobs": 3, "check_samples": 200, "size": 64, "steps": 1},
    "stage_timings": {"sizes": [64], "steps": [1], "runs": 2},
    "sweeps_and_scale": {"variants": 20, "watch_counts": [1, 10, 100], "cycle_samples": 5},
}
FULL: dict[str, dict[str, Any]] = {
    "monitor_latency": {"jobs": 20, "check_samples": 2000, "size": 64, "steps": 1},
    "stage_timings": {"sizes": [64, 128, 256], "steps": [1, 4], "runs": 5},
    "sweeps_and_scale": {"variants": 100, "watch_counts": [1, 10, 100, 1000], "cycle_samples": 20},
}


# --- helpers shared by the notebooks --------------------------------------------------------------


def stats(values: Iterable[float | None]) -> dict[str, float | int | None]:
    """Median, p95, mean, min and max of ``values`` (None values are dropped; empty -> Nones)."""
    data = sorted(v for v in values if v is not None)
    if not data:
        return {"n": 0, "median": None, "p95": None, "mean": None, "min": None, "max": None}

    def pct(p: float) -> float:
        # linear interpolation between closest ranks, like numpy's default
        k = (len(data) - 1) * p
        lo, hi = int(k), min(int(k) + 1, len(data) - 1)
        return data[lo] + (data[hi] - data[lo]) * (k - lo)

    return {
        "n": len(data),
        "median": pct(0.5),
        "p95": pct(0.95),
        "mean": sum(data) / len(data),
        "min": data[0],
        "max": data[-1],
    }


def parse_server_time(value: str | None) -> float | None:
    """InvokeAI's ``"YYYY-MM-DD HH:MM:SS.fff"`` (UTC, no zone) as a POSIX timestamp."""
    if not value:
        return None
    for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value.strip(), fmt).replace(tzinfo=UTC).timestamp()
        except ValueError:
            continue
    return None


def model_free_graph(value: int = 0, size: int = 64) -> dict[str, Any]:
    """A graph that runs without any model (integer -> add -> blank image -> blur -> resize).

    Used where generation is not what is measured. Every node has ``use_cache: false``, so two
    submissions of the same graph both run instead of being served from the server's cache.
    """
    nodes: dict[str, dict[str, Any]] = {
        "w": {"type": "integer", "value": value},
        "add": {"type": "add", "a": 0, "b": size},
        "blank": {"type": "blank_image", "width": size, "height": size, "mode": "RGB", "is_intermediate": True},
        "blur": {"type": "img_blur", "radius": 1.0, "blur_type": "gaussian", "is_intermediate": True},
        "resize": {"type": "img_resize", "width": size, "height": size, "resample_mode": "bicubic"},
    }
    for node_id, node in nodes.items():
        node.update(id=node_id, use_cache=False)
    nodes["resize"]["is_intermediate"] = False
    edges = [
        (("w", "value"), ("add", "a")),
        (("blank", "image"), ("blur", "image")),
        (("blur", "image"), ("resize", "image")),
    ]
    return {
        "id": "invokekit-bench-model-free",
        "nodes": nodes,
        "edges": [
            {"source": {"node_id": s, "field": sf}, "destination": {"node_id": d, "field": df}}
            for (s, sf), (d, df) in edges
        ],
    }


def model_free_batch(values: Sequence[int], size: int = 64) -> dict[str, Any]:
    """An ``enqueue_batch`` batch of the model-free graph, one queue item per value (a sweep)."""
    batch: dict[str, Any] = {
        "graph": model_free_graph(values[0] if values else 0, size),
        "runs": 1,
        "origin": "invokekit-bench",
        "destination": "invokekit-bench",
    }
    if len(values) > 1:
        batch["data"] = [[{"node_path": "w", "field_name": "value", "items": list(values)}]]
    return batch


def bench_source(client: Any, graph: str = "auto", *, size: int = 64, steps: int = 1) -> tuple[str, Any, str]:
    """What the benchmarks submit: ``(kind, source, sweep_key)``, for ``client.submit(source, sweep=...)``.

    ``graph`` is ``"sdxl"`` (InvokeAI's shipped "Text to Image - SDXL" workflow on the sandbox's
    tiny model, ``size`` px, ``steps`` steps), ``"model-free"`` (:func:`model_free_graph`, for
    servers without models and where generation is not what is measured), or ``"auto"`` (sdxl
    when the tiny model is installed). ``sweep_key`` is the parameter that varies between items.
    """
    if graph == "auto":
        names = {m.get("name") for m in client.models.list()}
        graph = "sdxl" if SDXL_MODELS["main"] in names else "model-free"
    if graph == "model-free":
        return graph, model_free_graph(0, size), "w.value"
    wf = client.workflow(SDXL_WORKFLOW)
    wf.set(model=SDXL_MODELS["main"], vae=SDXL_MODELS["vae"], width=size, height=size, steps=steps)
    return graph, wf, "seed"


def bench_monitor(label: str, transport: Any, *, db_path: str | os.PathLike[str] | None = None,
                  **options: Any) -> Any:
    """The one backend a benchmark label names, with no fallback: ``"api"``, ``"db"``, ``"events"``,
    or a variant such as ``"db:5ms"`` (the part before ``:`` is the backend) built with ``options``
    (e.g. ``slow=0.005``).

    ``make_monitor("db")`` would quietly fall back to the API when the DB is unusable; a benchmark
    must measure the backend it names, or fail.
    """
    from invokekit.errors import MonitorError
    from invokekit.monitors import ApiMonitor, DbMonitor, EventMonitor

    backend = label.split(":", 1)[0]
    if backend == "db":
        if not db_path:
            raise MonitorError("needs the path of the server's databases/invokeai.db (db_path)", backend="db")
        return DbMonitor(db_path, transport, **options)
    if backend not in ("api", "events"):
        raise MonitorError(f"unknown benchmark backend {label!r}; use api, db or events (optionally 'name:variant')")
    return (ApiMonitor if backend == "api" else EventMonitor)(transport, **options)


class CycleProbe:
    """One monitoring cycle of a monitor, callable on its own: ``read(item_ids)`` and its ``checks``.

    A cycle is what the backend does each time it looks: one ``item_summaries_by_ids`` request
    (API), one ``SELECT ... WHERE item_id IN (...)`` (SQLite), and for the events backend its
    safety-net poll (an API cycle every few seconds; the pushed events themselves cost no reads).
    """

    def __init__(self, monitor: Any) -> None:
        self.monitor = monitor
        self.backend = monitor.name
        self._conn = monitor.connect() if self.backend == "db" else None
        self._reader = getattr(monitor, "api", monitor)  # events: the API monitor of its safety net

    @property
    def checks(self) -> int:
        return int(self._reader.checks)

    def read(self, item_ids: Sequence[int]) -> list[Any]:
        if self._conn is not None:
            return list(self.monitor.read(self._conn, list(item_ids)))
        return list(self._reader.read(list(item_ids)))

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


@contextmanager
def paused(client: Any, queue_id: str = "default") -> Iterator[None]:
    """Keep the queue's processor paused inside the block (items stay pending); ALWAYS resume after."""
    client.queue.pause(queue_id)
    try:
        yield
    finally:
        client.queue.resume(queue_id)


def show_results(data: Mapping[str, Any]) -> None:
    """Display ``data`` as the cell's ``application/json`` output (what the runner reads back)."""
    from IPython.display import display

    display({"application/json": json.loads(json.dumps(data, default=str))}, raw=True)


_REFERENCE_SCRIPT = r"""
import json, sqlite3, sys, time
db, ids = sys.argv[1], [int(i) for i in sys.argv[2].split(",")]
interval, deadline = float(sys.argv[3]), float(sys.argv[4])
con = sqlite3.connect("file:" + db + "?mode=ro", uri=True)
marks = ",".join("?" * len(ids))
seen = {}
print("ready", flush=True)
end = time.monotonic() + deadline
while len(seen) < len(ids) and time.monotonic() < end:
    rows = con.execute(f"SELECT item_id, status FROM session_queue WHERE item_id IN ({marks})", ids).fetchall()
    now = time.perf_counter()
    for item_id, status in rows:
        if item_id not in seen and status in ("completed", "failed", "canceled"):
            seen[item_id] = now
    time.sleep(interval)
print(json.dumps({str(k): v for k, v in seen.items()}), flush=True)
"""


class ReferenceObserver:
    """Notes when each item turns terminal, on this machine's monotonic clock, to within ~1 ms.

    The server's timestamps have millisecond resolution, too coarse for latencies of a few
    milliseconds. This observer polls the SQLite queue (read-only) every ``interval`` seconds in
    a separate *process*, so its CPU is not charged to the backend being measured; on Linux
    ``time.perf_counter()`` is the system-wide monotonic clock, so its marks compare with a
    :class:`~invokekit.monitors.StatusUpdate`'s ``seen_monotonic``.
    """

    def __init__(self, db_path: str | os.PathLike[str], item_ids: Sequence[int], *, interval: float = 0.0005,
                 timeout: float = 600.0) -> None:
        args = [str(db_path), ",".join(str(i) for i in item_ids), str(interval), str(timeout)]
        self._proc = subprocess.Popen(
            [sys.executable, "-c", _REFERENCE_SCRIPT, *args], stdout=subprocess.PIPE, text=True
        )
        assert self._proc.stdout is not None
        self._proc.stdout.readline()  # "ready": polling has started

    def marks(self, timeout: float = 600.0) -> dict[int, float]:
        """Wait for the observer to finish; item id -> perf_counter() when it saw the item terminal."""
        out, _ = self._proc.communicate(timeout=timeout)
        lines = [line for line in out.splitlines() if line.strip()]
        return {int(k): float(v) for k, v in json.loads(lines[-1]).items()} if lines else {}

    def close(self) -> None:
        if self._proc.poll() is None:
            self._proc.kill()
            self._proc.wait()


# --- running the notebooks -----------------------------------------------------------------------


def notebooks_dir() -> Path:
    """The ``benchmarks/`` folder of the source tree this package was loaded from."""
    return Path(__file__).resolve().parents[1] / "benchmarks"


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Make sure a Jupyter kernel spec ``name`` runs *this* interpreter; install it if not."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(name)
        if spec.argv and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return name
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name=f"{name} ({Path(sys.prefix).name})", prefix=sys.prefix)
    return name


def read_results(notebook: str | os.PathLike[str], tag: str = RESULTS_TAG) -> dict[str, Any]:
    """The ``application/json`` output of the cell tagged ``tag`` in an executed notebook."""
    import nbformat

    nb = nbformat.read(str(notebook), as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code" or tag not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {}).get("application/json")
            if data is not None:
                return dict(data)
    raise ValueError(f"{notebook}: no cell tagged {tag!r} with an application/json output")


def run_notebook(
    name: str,
    out_dir: Path,
    parameters: Mapping[str, Any],
    *,
    source_dir: Path | None = None,
    kernel_name: str = KERNEL_NAME,
) -> dict[str, Any]:
    """Execute ``benchmarks/<name>.ipynb`` into ``out_dir``; write and return its JSON results."""
    import papermill

    source = (source_dir or notebooks_dir()) / f"{name}.ipynb"
    executed = out_dir / f"{name}.ipynb"
    papermill.execute_notebook(
        str(source),
        str(executed),
        parameters=dict(parameters),
        kernel_name=kernel_name,
        cwd=str(out_dir),
        progress_bar=False,
    )
    results = read_results(executed)
    _write_atomic(out_dir / f"{name}.json", json.dumps(results, indent=2, default=str) + "\n")
    return results


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file, so a reader never sees half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_benchmarks(
    out_dir: str | os.PathLike[str] | None = None,
    quick: bool = True,
    url: str | None = None,
    *,
    db_path: str | os.PathLike[str] | None = None,
    notebooks: Sequence[str] = NOTEBOOKS,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Run the benchmark notebooks against ``url`` and write results, plots and ``summary.md``.

    Without ``url`` the local sandbox is started (or reused) and its database watched too.
    Returns the summary: per-notebook results, the targets with their measured values, and
    the paths written. A notebook that fails is reported in the summary and the others still run.
    """
    out = Path(out_dir) if out_dir is not None else notebooks_dir() / "results"
    out.mkdir(parents=True, exist_ok=True)
    if url is None:
        from invokekit.sandbox import Sandbox

        sandbox = Sandbox()
        sandbox.up()
        url, db_path = sandbox.url, db_path or sandbox.db_path
    kernel = ensure_kernel()
    settings = QUICK if quick else FULL
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    started = time.perf_counter()
    for name in notebooks:
        params = {"url": url, "db_path": str(db_path) if db_path else "", "out_dir": str(out.resolve()),
                  "quick": quick, **settings.get(name, {}), **(overrides or {}).get(name, {})}
        try:
            results[name] = run_notebook(name, out, params, kernel_name=kernel)
        except Exception as exc:  # a failed notebook must not hide the others' numbers
            errors[name] = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}"
    targets = evaluate_targets(results)
    summary = {
        "mode": "quick" if quick else "full",
        "url": url,
        "elapsed_s": time.perf_counter() - started,
        "baseline": BASELINE,
        "results": results,
        "errors": errors,
        "targets": targets,
        "out_dir": str(out),
    }
    _write_atomic(out / "summary.md", write_summary(summary))
    _write_atomic(out / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    return summary


__all__ = [
    "BASELINE",
    "FULL",
    "NOTEBOOKS",
    "QUICK",
    "RESULTS_TAG",
    "CycleProbe",
    "ReferenceObserver",
    "bench_monitor",
    "bench_source",
    "ensure_kernel",
    "model_free_batch",
    "model_free_graph",
    "notebooks_dir",
    "parse_server_time",
    "paused",
    "read_results",
    "run_benchmarks",
    "run_notebook",
    "show_results",
    "stats",
]
