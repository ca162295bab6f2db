"""Benchmarks: run the papermill notebooks in ``invokekit/bench/notebooks/``, collect their numbers,
write a summary.

The numbers live in the notebooks (each one is readable on its own, with its plots); this module
only runs them with papermill, reads back the JSON each one shows in its cell tagged ``results``
(with nbformat: scrapbook has been unmaintained since 2021), and judges the headline numbers
against the targets of the project (``summary.md``). It also holds the few helpers the notebooks
share (statistics, the model-free graph, a fast reference observer), so they measure alike.

The notebooks are package data, so an installed invokekit (``pip install .``, not only a source
checkout) runs them; the kernel they run in must import this very package, which each notebook's
results prove (see :func:`check_package`).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import invokekit
from invokekit._files import write_text_atomic
from invokekit.bench._pool import SPEEDS as POOL_SPEEDS
from invokekit.bench._summary import BASELINE, evaluate_targets, write_summary
from invokekit.bench._tools import invokekit_package
from invokekit.errors import InvokekitError, MonitorUnavailable

#: the notebooks, in the order they run
NOTEBOOKS = ("monitor_latency", "stage_timings", "sweeps_and_scale", "peers", "pool")
#: notebooks only a full run has (the peers are installed from PyPI: not in CI's quick run); the pool
#: notebook starts sandboxes of its own (two in a quick run, three in a full one)
FULL_ONLY = ("peers",)
#: the tag of the cell whose ``application/json`` output holds a notebook's numbers
RESULTS_TAG = "results"
KERNEL_NAME = "invokekit"

#: small counts for CI (seconds each), and counts for a real report (minutes)
QUICK: dict[str, dict[str, Any]] = {
    "monitor_latency": {"jobs": 2, "check_samples": 100, "size": 64, "steps": 1},
    "stage_timings": {"sizes": [64], "steps": [1], "runs": 2, "settle": 0.5},
    "sweeps_and_scale": {"variants": 100, "repeats": 1, "watch_counts": [1, 10, 100, 1000], "cycle_samples": 5,
                         "idle_window": 0.25},
    "pool": {"items": 6, "size": 64, "steps": 1, "speeds": {k: POOL_SPEEDS[k] for k in ("a", "b")}},
}
FULL: dict[str, dict[str, Any]] = {
    "monitor_latency": {"jobs": 20, "check_samples": 2000, "size": 64, "steps": 1,
                        "backends": ["api", "db", "events", "db:10ms", "db:5ms"],
                        "poll_intervals": {"db:10ms": {"slow": 0.01}, "db:5ms": {"slow": 0.005}}},
    "stage_timings": {"sizes": [64, 128, 256], "steps": [1, 4], "runs": 5},
    "sweeps_and_scale": {"variants": 100, "repeats": 3, "watch_counts": [1, 10, 100, 1000], "cycle_samples": 20,
                         "idle_window": 2.0},
    "peers": {"jobs": 24, "size": 256, "steps": 4, "sweep_seeds": 16},
    "pool": {"items": 48, "size": 256, "steps": 2, "speeds": POOL_SPEEDS, "kill_server": "b"},
}


# --- running the notebooks -----------------------------------------------------------------------


def notebooks_dir() -> Path:
    """The benchmark notebooks: package data, so the same in a checkout and an installed package."""
    return Path(__file__).resolve().parent / "notebooks"


def default_out_dir() -> Path:
    """Where results go without ``out_dir``: ``benchmarks/results/`` of the source checkout this
    package runs from, else ``bench-results/`` in the working directory (never site-packages)."""
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "benchmarks").is_dir():
        return root / "benchmarks" / "results"
    return Path.cwd() / "bench-results"


def ensure_kernel(name: str = KERNEL_NAME) -> str:
    """Make sure the Jupyter kernel spec ``name`` runs *this* interpreter; install it if not.

    Interpreters are compared by folder as well as by what their symlinks resolve to: two venvs
    made from the same Python resolve alike but import different packages.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    def runs_this_python() -> bool:
        try:
            argv = KernelSpecManager().get_kernel_spec(name).argv
        except NoSuchKernel:
            return False
        if not argv:
            return False
        theirs, ours = Path(argv[0]).absolute(), Path(sys.executable).absolute()
        return theirs.parent == ours.parent and theirs.resolve() == ours.resolve()

    if runs_this_python():
        return name
    from ipykernel.kernelspec import install

    install(kernel_name=name, display_name=f"{name} ({Path(sys.prefix).name})", prefix=sys.prefix)
    if not runs_this_python():
        raise InvokekitError(
            f"the Jupyter kernel {name!r} does not run {sys.executable} even after installing it into "
            f"{sys.prefix}: another kernel spec of that name comes first on Jupyter's path "
            f"(see `jupyter kernelspec list`); remove it, or set JUPYTER_PREFER_ENV_PATH=1"
        )
    return name


def check_package(name: str, results: Mapping[str, Any]) -> None:
    """Raise when notebook ``name`` ran another invokekit than this one (e.g. a kernel spec that
    imports a source checkout while an installed package runs the benchmarks)."""
    theirs, ours = results.get("invokekit_package"), invokekit_package()
    if theirs != ours:
        raise InvokekitError(
            f"notebook {name}: its kernel imported invokekit from {theirs or 'an unknown place'}, "
            f"not from {ours} (invokekit {invokekit.__version__}) that runs the benchmarks"
        )


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
    """Execute notebook ``name`` into ``out_dir``; write and return its JSON results."""
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
        # the kernel's own start-up warnings (e.g. "running over TCP") say nothing about the benchmarks
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
    )
    results = read_results(executed)
    check_package(name, results)
    write_text_atomic(out_dir / f"{name}.json", json.dumps(results, indent=2, default=str) + "\n")
    return results


def _describe(exc: Exception, executed: Path) -> str:
    """One line about a failed notebook: the error raised in its cell, and where to read the rest."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    text = f"{ename}: {evalue}" if ename else f"{type(exc).__name__}: {exc}"
    text = " ".join(text.split())[:500]
    return f"{text} (see {executed})" if executed.exists() else text


def run_benchmarks(
    out_dir: str | os.PathLike[str] | None = None,
    quick: bool = True,
    url: str | None = None,
    *,
    db_path: str | os.PathLike[str] | None = None,
    notebooks: Sequence[str] = NOTEBOOKS,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    sandbox: str | None = None,
) -> dict[str, Any]:
    """Run the benchmark notebooks against ``url`` and write results, plots and ``summary.md``.

    The server is found as :meth:`Client.from_env` finds it: ``url``, else ``$INVOKEAI_URL``, else
    the local sandbox called ``sandbox`` (started or reused; a sandbox of its own, e.g.
    ``sandbox="bench"``, keeps other users' jobs out of the queue while measuring). Its database
    (``db_path``, else found and proven when the server is on this machine) is watched too.
    Returns the summary: per-notebook results, the targets with their measured values, and
    the paths written. A notebook that fails is reported in the summary and the others still run.
    """
    from invokekit.client import Client

    with Client.from_env(url, db_path=db_path or "auto", sandbox=sandbox) as client:
        if db_path and client.db_path is None:  # the database given is not that server's: say so now
            raise MonitorUnavailable(f"cannot measure the SQLite backend: {client.database().reason}", backend="db")
        url, db_path = client.url, client.db_path
    out = Path(out_dir) if out_dir is not None else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    kernel = ensure_kernel()
    settings = QUICK if quick else FULL
    results: dict[str, Any] = {}
    errors: dict[str, str] = {}
    durations: dict[str, float] = {}
    machine: dict[str, Any] = {"cpus": os.cpu_count(), "load_before": list(os.getloadavg())}
    started = time.perf_counter()
    for name in notebooks:
        if quick and name in FULL_ONLY:
            continue
        params = {"url": url, "db_path": str(db_path) if db_path else "", "out_dir": str(out.resolve()),
                  "quick": quick, **settings.get(name, {}), **(overrides or {}).get(name, {})}
        began = time.perf_counter()
        try:
            results[name] = run_notebook(name, out, params, kernel_name=kernel)
        except Exception as exc:  # a failed notebook must not hide the others' numbers
            errors[name] = _describe(exc, out / f"{name}.ipynb")
        durations[name] = time.perf_counter() - began
    machine["load_after"] = list(os.getloadavg())
    targets = evaluate_targets(results)
    summary = {
        "mode": "quick" if quick else "full",
        "url": url,
        "elapsed_s": time.perf_counter() - started,
        "durations_s": durations,
        "machine": machine,
        "baseline": BASELINE,
        "results": results,
        "errors": errors,
        "targets": targets,
        "out_dir": str(out),
    }
    write_text_atomic(out / "summary.md", write_summary(summary))
    write_text_atomic(out / "summary.json", json.dumps(summary, indent=2, default=str) + "\n")
    return summary


__all__ = [
    "FULL",
    "FULL_ONLY",
    "NOTEBOOKS",
    "QUICK",
    "RESULTS_TAG",
    "check_package",
    "default_out_dir",
    "ensure_kernel",
    "notebooks_dir",
    "read_results",
    "run_benchmarks",
    "run_notebook",
]
