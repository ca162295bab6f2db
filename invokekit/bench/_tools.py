"""What the benchmark notebooks share, so that they measure alike: statistics, what to submit,
which monitor to build, one monitoring cycle on its own, a fast reference observer.

Private: the notebooks import these through :mod:`invokekit.bench`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from invokekit.api._items import TERMINAL
from invokekit.api._lookup import matching_models
from invokekit.sandbox._layout import MODEL_NAMES
from invokekit.workflow import Batch

#: what the SDXL benchmarks run: InvokeAI's shipped workflow on the sandbox's tiny models
SDXL_WORKFLOW = "Text to Image - SDXL"
SDXL_MODELS = MODEL_NAMES  # the sandbox's tiny models


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


def model_free_graph(value: int = 0, size: int = 64) -> Batch:
    """A graph that runs without any model (integer -> add -> blank image -> blur -> resize), as a
    :class:`Batch` (``.set("w.value", n)`` changes its one input).

    Used where generation is not what is measured. Every node has ``use_cache: false``, so two
    submissions of the same graph both run instead of being served from the server's cache.
    """
    graph = Batch({"id": "invokekit-bench-model-free"}, origin="invokekit-bench", destination="invokekit-bench")
    graph.add_node("w", "integer", value=value, use_cache=False)
    graph.add_node("add", "add", a=0, b=size, use_cache=False)
    graph.add_node("blank", "blank_image", width=size, height=size, mode="RGB", is_intermediate=True, use_cache=False)
    graph.add_node("blur", "img_blur", radius=1.0, blur_type="gaussian", is_intermediate=True, use_cache=False)
    graph.add_node("resize", "img_resize", width=size, height=size, resample_mode="bicubic", is_intermediate=False,
                   use_cache=False)
    return graph.add_edge("w", "value", "add", "a").add_edge("blank", "image", "blur", "image").add_edge(
        "blur", "image", "resize", "image")


def model_free_batch(values: Sequence[int], size: int = 64) -> Batch:
    """The model-free graph as a batch of one queue item per value (a sweep of its input)."""
    batch = model_free_graph(values[0] if values else 0, size)
    return batch.sweep("w.value", list(values)) if len(values) > 1 else batch


def resolve_graph(client: Any, graph: str = "auto") -> str:
    """``"sdxl"`` or ``"model-free"``: ``"auto"`` is sdxl when the server has the tiny SDXL model.

    sdxl runs InvokeAI's shipped "Text to Image - SDXL" workflow on the sandbox's tiny model;
    model-free (:func:`model_free_graph`) serves servers without models, and places where
    generation is not what is measured.
    """
    if graph not in ("auto", "sdxl", "model-free"):
        raise ValueError(f"graph must be 'auto', 'sdxl' or 'model-free', not {graph!r}")
    if graph == "auto":
        return "sdxl" if matching_models(client.models.list(), SDXL_MODELS["main"], types=["main"]) else "model-free"
    return graph


def bench_workflow(client: Any, *, size: int = 64, steps: int = 1) -> Any:
    """The SDXL workflow from the server's library, on the tiny models, ``size`` px, ``steps`` steps."""
    wf = client.workflow(SDXL_WORKFLOW)
    wf.set(model=SDXL_MODELS["main"], vae=SDXL_MODELS["vae"], width=size, height=size, steps=steps)
    return wf


def bench_batch(client: Any, kind: str, values: Sequence[int], *, size: int = 64, steps: int = 1,
                destination: str | None = None, workflow: Any = None) -> Batch:
    """A ready batch of ``len(values)`` items (seeds, or the model-free graph's value).

    Built (and, for sdxl, pre-flighted) before anything is timed, so ``client.submit(batch)``
    measures submitting only. ``destination`` tags the items so that :func:`discard` can delete
    exactly these afterwards.
    """
    if kind == "sdxl":
        wf = workflow if workflow is not None else bench_workflow(client, size=size, steps=steps)
        batch = client.prepare(wf, sweep={"seed": list(values)})
    else:
        batch = model_free_batch(values, size)
    if destination:
        batch.destination = destination
    return batch


def bench_destination() -> str:
    """A destination no one else uses, to tag (and later delete) one run's throw-away items."""
    return f"invokekit-bench-{uuid.uuid4().hex[:12]}"


def discard(client: Any, destination: str, queue_id: str = "default") -> None:
    """Delete every queue item tagged ``destination`` (pending ones included): throw-away items of a
    benchmark must not pile up in a shared server's queue history."""
    client.queue.delete_by_destination(destination, queue_id)


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

    A cycle is what the backend does each time it looks: for the API one ``GET .../b/{batch}/status``
    and, only when that changed, one ``item_summaries_by_ids`` request (:meth:`ApiMonitor.look`;
    items of several batches: the request alone); for SQLite one ``PRAGMA data_version`` and, only
    when the server committed since the last look, one ``SELECT ... WHERE item_id IN (json_each(?))``
    (:meth:`DbMonitor.look`); for the events backend its safety-net poll (the same look as the API
    backend, every few seconds; the pushed events themselves cost no reads).
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
            return list(self.monitor.look(self._conn, list(item_ids)) or [])
        # the API backend, and the events backend's safety net, look the same way
        return list(self._reader.look(list(item_ids)) or [])

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


def invokekit_package() -> str:
    """The folder of the invokekit package this process imported."""
    import invokekit

    return str(Path(invokekit.__file__).resolve().parent)


def show_results(data: Mapping[str, Any]) -> None:
    """Display ``data`` as the cell's ``application/json`` output (what the runner reads back),
    with the invokekit package that measured it (the runner checks that it is its own)."""
    from IPython.display import display

    payload = {**data, "invokekit_package": invokekit_package()}
    display({"application/json": json.loads(json.dumps(payload, default=str))}, raw=True)


_REFERENCE_SCRIPT = r"""
import json, sqlite3, sys, time
db, ids = sys.argv[1], [int(i) for i in sys.argv[2].split(",")]
interval, deadline, terminal = float(sys.argv[3]), float(sys.argv[4]), sys.argv[5].split(",")
con = sqlite3.connect("file:" + db + "?mode=ro", uri=True)
marks = ",".join("?" * len(ids))
seen = {}
print("ready", flush=True)
end = time.monotonic() + deadline
while len(seen) < len(ids) and time.monotonic() < end:
    rows = con.execute(f"SELECT item_id, status FROM session_queue WHERE item_id IN ({marks})", ids).fetchall()
    now = time.perf_counter()
    for item_id, status in rows:
        if item_id not in seen and status in terminal:
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
        args = [str(db_path), ",".join(str(i) for i in item_ids), str(interval), str(timeout), ",".join(TERMINAL)]
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
