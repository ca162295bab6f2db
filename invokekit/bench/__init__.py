"""Benchmarks: papermill notebooks that measure invokekit against the real server, and their runner.

The notebooks (``notebooks/*.ipynb``, installed with the package) import their shared helpers
from here, so they measure alike. Each name is imported from the one module that defines it.
"""

from invokekit.bench._runner import (
    FULL,
    FULL_ONLY,
    NOTEBOOKS,
    QUICK,
    RESULTS_TAG,
    check_package,
    default_out_dir,
    ensure_kernel,
    notebooks_dir,
    read_results,
    run_benchmarks,
    run_notebook,
)
from invokekit.bench._summary import BASELINE
from invokekit.bench._tools import (
    SDXL_MODELS,
    SDXL_WORKFLOW,
    CycleProbe,
    ReferenceObserver,
    bench_batch,
    bench_destination,
    bench_monitor,
    bench_workflow,
    discard,
    model_free_batch,
    model_free_graph,
    paused,
    resolve_graph,
    show_results,
    stats,
)
from invokekit.results import parse_server_time

__all__ = [
    "BASELINE",
    "FULL",
    "FULL_ONLY",
    "NOTEBOOKS",
    "QUICK",
    "RESULTS_TAG",
    "SDXL_MODELS",
    "SDXL_WORKFLOW",
    "CycleProbe",
    "ReferenceObserver",
    "bench_batch",
    "bench_destination",
    "bench_monitor",
    "bench_workflow",
    "check_package",
    "default_out_dir",
    "discard",
    "ensure_kernel",
    "model_free_batch",
    "model_free_graph",
    "notebooks_dir",
    "parse_server_time",
    "paused",
    "read_results",
    "resolve_graph",
    "run_benchmarks",
    "run_notebook",
    "show_results",
    "stats",
]
