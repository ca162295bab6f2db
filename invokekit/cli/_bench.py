"""``invokekit bench [--quick|--full] [--url URL] [--db PATH] [--out DIR]``: run the benchmark notebooks.

The server is ``--url``, else ``$INVOKEAI_URL``, else the local sandbox (started or reused). Its
SQLite backend is measured when its database is known: ``--db``, else found and proven on this machine.
Missed targets are results, not errors: the exit code is 1 only when a notebook failed to run.
"""

from __future__ import annotations

import argparse
from typing import Any

from invokekit.bench import NOTEBOOKS, run_benchmarks


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="run the benchmark notebooks (papermill) and write results, plots and a summary",
        description="Run the benchmark notebooks (invokekit/bench/notebooks/*.ipynb, installed with the package) "
        "with papermill against the sandbox (or --url) and write the executed notebooks, JSON results, PNG plots "
        "and summary.md with the targets.",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", dest="quick", action="store_true", default=True,
                      help="small counts, seconds per notebook (default; what CI runs)")
    mode.add_argument("--full", dest="quick", action="store_false", help="counts for a real report (minutes)")
    parser.add_argument("--url", default=None,
                        help="InvokeAI server to measure (default: $INVOKEAI_URL, else the local sandbox)")
    parser.add_argument("--db", dest="db_path", default=None,
                        help="that server's databases/invokeai.db, for the SQLite backend (default: found and "
                        "proven when the server is on this machine)")
    parser.add_argument("--sandbox", default=None, metavar="NAME",
                        help="without --url and $INVOKEAI_URL: the sandbox to start or reuse (default: "
                        "$INVOKEKIT_SANDBOX, else default; a name of its own keeps other jobs out of the "
                        "measured queue)")
    parser.add_argument("--out", default=None,
                        help="output folder (default: benchmarks/results in a source checkout, else ./bench-results)")
    parser.add_argument("--only", nargs="+", choices=NOTEBOOKS, default=None, metavar="NOTEBOOK",
                        help=f"run only these notebooks ({', '.join(NOTEBOOKS)})")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    summary = run_benchmarks(args.out, quick=args.quick, url=args.url, db_path=args.db_path,
                             notebooks=args.only or NOTEBOOKS, sandbox=args.sandbox)
    print(f"benchmarks ({summary['mode']}) against {summary['url']} in {summary['elapsed_s']:.1f} s")
    for target in summary["targets"]:
        value = target["value"]
        shown = "-" if value is None else f"{value:.3g} {target['unit']}"
        print(f"  {target['status']:<12} {target['target']}: {shown}")
    for name, error in summary["errors"].items():
        print(f"  FAILED       notebook {name}: {error}")
    print(f"summary: {summary['out_dir']}/summary.md")
    return 1 if summary["errors"] else 0
