"""``invokekit load-report WORKFLOW``: what loading a workflow migrated, dropped, updated and reset.

The report is :attr:`invokekit.workflow.Workflow.load_report`, made exactly as any other load makes
it; this command only prints it. Offline only the file itself is read (old schemas migrated, edges
to missing nodes dropped); ``--schema openapi.json`` adds the server's node templates (edges,
node versions) and a server (``--url`` or ``$INVOKEAI_URL``; a library name needs one, the local
sandbox if none is named) also its models, boards and images (foreign ones reset).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from invokekit.cli._workflow import server_for
from invokekit.workflow import ServerContext, Workflow


def register(subparsers: Any) -> None:
    cmd = subparsers.add_parser("load-report", help="what loading a workflow migrates, drops, updates and resets")
    cmd.add_argument("workflow", help="workflow JSON file, or a name/id in the server's library")
    cmd.add_argument("--url", default=None, help="InvokeAI server: its schema, models, boards and images "
                     "(default: $INVOKEAI_URL; a file is read offline without it)")
    cmd.add_argument("--schema", default=None, help="the server's openapi.json, to check against it offline")
    cmd.add_argument("--json", action="store_true", help="print the report as JSON")
    cmd.set_defaults(func=cmd_load_report)


def cmd_load_report(args: argparse.Namespace) -> int:
    context: ServerContext | None = None
    client = server_for(args.workflow, args.url)  # none for a file when no server is named
    if client is not None:
        context = client.context()
    if args.schema:
        context = ServerContext.from_schema_file(args.schema)
    if client is not None and not Path(args.workflow).is_file():
        wf = Workflow.from_library(client, args.workflow)
        wf.context = context
    else:
        wf = Workflow.load(args.workflow, context=context)
    report = wf.load_report
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        return 0
    print(f"{wf.name}: {report.lines()[0]}")
    for line in report.lines()[1:]:
        print(f"  {line}")
    if len(report.lines()) == 1:
        print("  nothing changed")
    return 0
