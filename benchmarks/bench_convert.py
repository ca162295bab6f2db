"""Time converting all 26 workflows InvokeAI ships (a benchmark, not a test).

Prints milliseconds for the whole set: loading+validation, conversion offline, conversion with
the server schema (unknown inputs dropped), and the full batch. Run:
``.venv/bin/python benchmarks/bench_convert.py [--repeat 20]``. The target is < 50 ms for all 26.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from invokekit.workflow import ServerContext, Workflow

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
WORKFLOWS = sorted((SHARED / "fixtures" / "workflows" / "default").glob("*.json"))
SCHEMA = SHARED / "reference" / "invokeai-6.14.2" / "openapi.json"


def _time(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return min(runs), statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    texts = [p.read_bytes() for p in WORKFLOWS]
    context = ServerContext.from_schema_file(SCHEMA)
    context.templates()  # index the schema once, as a client's cached context does
    loaded = [Workflow.load(t) for t in texts]
    cases: dict[str, Callable[[], object]] = {
        "load + validate": lambda: [Workflow.load(t) for t in texts],
        "to_graph (offline)": lambda: [wf.to_graph() for wf in loaded],
        "to_graph (with schema)": lambda: [wf.to_graph(context) for wf in loaded],
        "load + to_graph (offline)": lambda: [Workflow.load(t).to_graph() for t in texts],
        "to_batch (offline)": lambda: [wf.to_batch() for wf in loaded],
        "preflight (schema)": lambda: [wf.preflight(context) for wf in loaded],
    }
    print(f"{len(WORKFLOWS)} shipped workflows, {args.repeat} repeats")
    for name, fn in cases.items():
        best, median = _time(fn, args.repeat)
        print(f"  {name:28s} best {best:7.2f} ms   median {median:7.2f} ms   ({median / len(WORKFLOWS):.2f} ms each)")


if __name__ == "__main__":
    main()
