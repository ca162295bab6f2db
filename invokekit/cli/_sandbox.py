"""``invokekit sandbox up|status|down|install``: the local InvokeAI sandbox from the shell.

With ``--json`` each prints ``{"url", "db_path", "root", "pid", "models"}`` (``null`` when no
server runs) on stdout, progress going to stderr, so scripts can read the result directly.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from invokekit.sandbox import Sandbox, default_cache_dir


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("sandbox", help="start, inspect or stop the local InvokeAI sandbox")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, helptext in (
        ("up", "start the sandbox (installing InvokeAI and the tiny models on first use), or reuse it"),
        ("status", "show the running sandbox (exit code 1 if none)"),
        ("down", "stop the sandbox server"),
        ("install", "install InvokeAI and build the tiny models, without starting a server"),
    ):
        sub = actions.add_parser(action, help=helptext)
        sub.add_argument("--name", default=None, help="sandbox name (default: $INVOKEKIT_SANDBOX, else default)")
        sub.add_argument("--cache-dir", default=None, help=f"cache folder (default: {default_cache_dir()})")
        sub.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
        if action == "up":
            sub.add_argument("--port", type=int, default=None, help="port to ask for (default: any free port)")
            sub.add_argument("--cpus", default=None, metavar="LIST",
                             help="pin the server to these CPUs: '0', '0,1', '0-3', or 'all' (default: as it was "
                             "last started; a server running with other limits is restarted)")
            sub.add_argument("--threads", type=int, default=None, metavar="N",
                             help="the server's torch thread count (OMP_NUM_THREADS...; 0: torch's default; "
                             "default: as it was last started)")
            sub.add_argument("--nice", type=int, default=None, metavar="N",
                             help="the server's niceness, 0-19: a higher one gets less of a busy CPU "
                             "(default: as it was last started)")
        sub.set_defaults(func=_run)


def _print(info: dict[str, Any] | None, args: argparse.Namespace, took: float, headline: str,
           limits: str = "") -> None:
    if args.json:
        print(json.dumps(info, indent=2))
        return
    print(headline)
    if info:
        models = info.get("models", {})
        print(f"  URL:    {info['url']}")
        print(f"  PID:    {info['pid']}")
        print(f"  root:   {info['root']}")
        print(f"  DB:     {info['db_path']}")
        if limits:
            print(f"  limits: {limits}")
        print("  models: " + ", ".join(f"{kind}={name}" for kind, name in models.items()))
    print(f"  took:   {took:.1f} s")


def _run(args: argparse.Namespace) -> int:
    began = time.monotonic()
    sandbox = Sandbox(args.name, port=getattr(args, "port", None), cache_dir=args.cache_dir,
                      cpus=getattr(args, "cpus", None), threads=getattr(args, "threads", None),
                      nice=getattr(args, "nice", None))
    if args.action == "up":
        sandbox.up()
        _print(sandbox.info(), args, time.monotonic() - began, f"sandbox {sandbox.name!r} is up",
               sandbox.limits.describe())
        return 0
    if args.action == "status":
        running = sandbox.status() is not None
        info = sandbox.info() if running else None
        state = "up" if running else "not running"
        _print(info, args, time.monotonic() - began, f"sandbox {sandbox.name!r} is {state}",
               sandbox.limits.describe() if running else "")
        return 0 if running else 1
    if args.action == "down":
        info = sandbox.info() if sandbox.status() is not None else None
        sandbox.down()
        _print(info, args, time.monotonic() - began, f"sandbox {sandbox.name!r} is stopped")
        return 0
    sandbox.ensure_installed()
    layout = sandbox.layout
    paths = {"venv": str(layout.venv), "main_model": str(layout.main_model), "vae_model": str(layout.vae_model)}
    if args.json:
        print(json.dumps(paths, indent=2))
    else:
        print("InvokeAI and the tiny models are installed")
        for key, value in paths.items():
            print(f"  {key}: {value}")
        print(f"  took:   {time.monotonic() - began:.1f} s")
    return 0
