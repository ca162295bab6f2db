"""``invokekit params WORKFLOW`` and ``invokekit convert WORKFLOW``: inspect and convert workflows.

``convert`` prints the API graph InvokeAI's UI would build (JSON on stdout); a file converts
offline unless a server is named (``--url`` or ``$INVOKEAI_URL``). ``--schema openapi.json`` or the
server add its schema (unknown inputs dropped, pre-flight problems reported on stderr), and the
server also resolves model and board names. A library name/id needs a server: the one named, else
the local sandbox, as every command connects (:meth:`Client.from_env`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit.cli import split_assignment
from invokekit.workflow import ServerContext, Workflow

if TYPE_CHECKING:
    from invokekit.client import Client


def register(subparsers: Any) -> None:
    params = subparsers.add_parser("params", help="list a workflow's parameters (what --set can change)")
    params.add_argument("workflow", help="workflow JSON file, or a name/id in the server's library")
    params.add_argument("--url", default=None, help="InvokeAI server (default: $INVOKEAI_URL, else the local sandbox)")
    params.add_argument("--all", action="store_true", help="also list inputs fed by edges")
    params.set_defaults(func=cmd_params)

    convert = subparsers.add_parser("convert", help="print the API graph InvokeAI's UI would enqueue")
    convert.add_argument("workflow", help="workflow JSON file, or a name/id in the server's library")
    convert.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE",
                         help="set a parameter (alias, form label, node-label.field or node-id.field)")
    convert.add_argument("--url", default=None,
                         help="InvokeAI server: schema, model and board names (default: $INVOKEAI_URL; a file "
                         "converts offline without it, a library name uses the local sandbox)")
    convert.add_argument("--schema", default=None, help="the server's openapi.json, for an offline schema")
    convert.add_argument("--batch", action="store_true", help="print the whole enqueue batch, not only the graph")
    convert.set_defaults(func=cmd_convert)


def server_for(source: str, url: str | None) -> Client | None:
    """The client of the server a command on workflow ``source`` talks to: none for a local file
    when no server is named (``--url`` or ``$INVOKEAI_URL``), so that it needs no server at all;
    else the one :meth:`Client.from_env` finds (a library name needs one: the sandbox, if need be)."""
    from invokekit.client import Client, server_url

    if Path(source).is_file() and server_url(url) is None:
        return None
    return Client.from_env(url)


def _load(source: str, url: str | None) -> tuple[Workflow, Client | None]:
    client = server_for(source, url)
    if client is None or Path(source).is_file():
        return Workflow.load(source), client
    return Workflow.from_library(client, source), client


def _apply_sets(wf: Workflow, sets: list[str]) -> None:
    for item in sets:
        wf.set_text(*split_assignment(item, "--set"))


def _short(value: Any, width: int = 40) -> str:
    if isinstance(value, dict) and "name" in value:
        text = f"<{value['name']}>"
    else:
        text = json.dumps(value, ensure_ascii=False) if value is not None else "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_params(args: argparse.Namespace) -> int:
    wf, _ = _load(args.workflow, args.url)
    rows = [("NAME", "LABEL", "VALUE", "FORM", "FED", "ALIASES")]
    for p in wf.parameters:
        if p.connected and not p.random and not args.all:
            continue
        fed = "random" if p.random else ("edge" if p.connected else "")
        rows.append((p.name, p.label, _short(p.value), p.form_kind or "", fed, ",".join(p.aliases)))
    widths = [min(max(len(r[i]) for r in rows), 48) for i in range(len(rows[0]))]
    print(f"{wf.name}  (schema {wf.version}, {len(wf.parameters)} inputs)")
    for row in rows:
        print("  ".join(cell[:48].ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    print("\naliases (each sets every place listed):")
    for alias, places in wf.aliases.items():
        names = ", ".join(f"{wf.node_label(node_id)}.{field}" for node_id, field in places) or "(nothing settable)"
        print(f"  {alias:16s} {names}")
    for p in wf.parameters:
        if p.random:
            print(f"  note: {p.name} comes from a random node; setting it replaces the randomness")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    wf, client = _load(args.workflow, args.url)
    context: ServerContext | None = None
    if args.schema:  # the schema from the file; from the server only what the file cannot tell
        schema = ServerContext.from_schema_file(args.schema).schema
        models, boards = (client.models.list(), client.boards.list()) if client is not None else (None, None)
        context = ServerContext(schema=schema, models=models, boards=boards)
    elif client is not None:
        context = client.context()
    if context is not None:
        wf.context = context  # the load-time checks against this server, as the UI makes them
    _apply_sets(wf, args.sets)
    result = wf.to_batch(context=context) if args.batch else wf.to_graph(context=context)
    for message in wf.changes + wf.warnings:
        print(f"invokekit: {message}", file=sys.stderr)
    if context is not None and context.schema is not None:
        for problem in wf.preflight(context):
            print(f"invokekit: pre-flight: {problem}", file=sys.stderr)
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
