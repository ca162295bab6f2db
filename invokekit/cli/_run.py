"""``invokekit run`` and ``invokekit resume``: a workflow goes in, images and timings come out.

``run`` parses its arguments and hands them to :meth:`Client.submit`, which loads the workflow (a
file, or a name/id in the server's library), applies ``--set`` / ``--model`` / ``--sweep`` (typed
by the fields they go to), checks it against the server (nothing is sent when it would be
rejected) and submits it as one batch (recorded in a journal first); ``run`` then watches it with
the chosen monitor, prints and downloads each item's images as it finishes (``3/16 done, ETA
...``) and prints per-stage timings. ``resume`` picks up every
unfinished batch of a journal (e.g. after a crash) and finishes watching and downloading.

A JSON file holding a raw API graph, a batch, or an enqueue request body is accepted too; its
``--set`` / ``--sweep`` names are then ``node_id.field``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from invokekit.api._items import COMPLETED, FAILED
from invokekit.cli import split_assignment
from invokekit.cli._pool import resume_pool_run, run_pool, server_urls
from invokekit.cli._preset import preset_sets
from invokekit.client import Client, Job
from invokekit.errors import InvokekitError, ParameterError
from invokekit.explore import DynamicPrompts
from invokekit.explore._values import display_value
from invokekit.monitors import MONITOR_NAMES
from invokekit.pool._resume import is_pool_journal
from invokekit.results import ItemResult, Journal, Timings, read_journal, sidecar_path


def register(subparsers: Any) -> None:
    run = subparsers.add_parser("run", help="run a workflow on a server; download its images; print timings")
    run.add_argument("workflow", metavar="WORKFLOW", nargs="?",
                     help="a workflow .json file, a name/id in the server library, or an image InvokeAI made")
    run.add_argument("--from", dest="from_image", metavar="IMAGE",
                     help="run again the workflow (or graph) and values embedded in an image InvokeAI made")
    _server_args(run)
    run.add_argument("--servers", metavar="FILE",
                     help="a pool: the servers in FILE (one URL per line, or TOML servers = [...]), with any --url")
    run.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE", help="set a parameter")
    run.add_argument("--model", help="the main model to use (name or key)")
    run.add_argument("--preset", dest="presets", action="append", default=[], metavar="NAME",
                     help="apply a saved preset (invokekit preset save); --set and --model win over it")
    run.add_argument(
        "--sweep",
        action="append",
        default=[],
        metavar="NAME=VALUES",
        help="one item per value (product over sweeps): 1,2,3 / 1-10 / 1-10 (+2) / 1-2 (+0.25) / 1-10 [5] / "
        '"a, b",c (CSV) / a JSON list / @prompts.txt (one per line) / @table.csv:column / S/R:cat,dog,fox',
    )
    run.add_argument("--zip", dest="zips", action="append", default=[], metavar="NAME=VALUES",
                     help="zipped sweeps: every --zip goes in pairs with the others (equally many values)")
    run.add_argument("--runs", type=int, default=1, help="repeat the whole batch N times (default 1)")
    run.add_argument("--board", help="board (name or id) for the output images")
    run.add_argument("--dynamic-prompts", nargs="?", const="combinatorial", choices=["combinatorial", "random"],
                     help="expand {a|b} prompts on the server into one item per prompt (random: --max-prompts picks)")
    run.add_argument("--prompt-seed", type=int, help="seed of the random dynamic-prompt generator (same prompts again)")
    run.add_argument("--max-prompts", type=int, default=1000, help="at most this many expanded prompts (default 1000)")
    run.add_argument("--style-preset", metavar="NAME", help="apply one of the server's style presets to the prompts")
    run.add_argument("--metadata", action="store_true",
                     help="add InvokeAI's core_metadata node: images carry invokeai_metadata (the UI's recall)")
    run.add_argument("--name", help='file name template of the images, e.g. "{seed}-{cfg_scale}-{node}" '
                     "(default: <item>-<node>-<swept values>; never overwrites)")
    run.add_argument("--grid", metavar="x=NAME,y=NAME[,z=NAME]",
                     help="write an X/Y/Z grid of the results: <out>/grid.png (grid-<z>.png per z value)")
    run.add_argument("--journal", help="JSONL run journal (default: <out>/invokekit-journal.jsonl)")
    run.set_defaults(func=cmd_run)

    resume = subparsers.add_parser("resume", help="finish watching and downloading the batches of a run journal")
    resume.add_argument("manifest", metavar="MANIFEST", help="the JSONL journal written by `invokekit run`")
    _server_args(resume, out_default=None)
    resume.set_defaults(func=cmd_resume)


def _server_args(parser: argparse.ArgumentParser, out_default: str | None = "out") -> None:
    parser.add_argument("--url", action="append", help="server URL (default: $INVOKEAI_URL, else the local "
                        "sandbox); repeat it to spread a sweep over several servers (a pool)")
    parser.add_argument("--monitor", choices=MONITOR_NAMES, default="auto",
                        help="how to watch the queue (default auto)")
    parser.add_argument("--db", help="the server's invokeai.db (default: found and proven when the server is local)")
    parser.add_argument("--out", default=out_default, help="folder for the images (default: out)")
    parser.add_argument("--timeout", type=float, default=None, help="give up waiting after this many seconds")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")


# --- shared helpers ------------------------------------------------------------------------------


def _connect(args: argparse.Namespace, url: str | None = None) -> Client:
    urls = list(args.url or [])
    if len(urls) > 1:
        raise ParameterError(f"one --url here, not {len(urls)}: several servers are for `invokekit run` (a pool)",
                             field="--url")
    return Client.from_env((urls[0] if urls else None) or url, db_path=args.db or "auto")


def _say(args: argparse.Namespace, message: str) -> None:
    print(message, file=sys.stderr if args.json else sys.stdout, flush=True)


def _progress(args: argparse.Namespace) -> Any:
    """An on_update callback printing each status change once (progress ticks are not printed);
    the line with the item's files comes when they are written (:class:`_Finished`)."""
    last: dict[int, str] = {}

    def show(update: Any) -> None:
        if last.get(update.item_id) != update.status:
            last[update.item_id] = update.status
            _say(args, f"  item {update.item_id}: {update.status} ({update.backend})")

    return show


class _Finished:
    """Prints one line per item as it finishes: ``3/16 done, ETA 4.1 s: item 45 completed -> path``.

    The ETA is the mean time between finishes so far times the items left."""

    def __init__(self, args: argparse.Namespace, total: int, swept: list[str] | None = None) -> None:
        self.args, self.total, self.done, self.swept = args, total, 0, list(swept or [])
        self.began = time.perf_counter()

    def __call__(self, result: ItemResult) -> None:
        self.done += 1
        left = self.total - self.done
        eta = (time.perf_counter() - self.began) / self.done * left
        head = f"{self.done}/{self.total} done" + (f", ETA {eta:.1f} s" if left else "")
        files = ", ".join(f"{i.path or i.image_name} ({i.width}x{i.height})" for i in result.images)
        error = f" {result.error_type}: {result.error_message}" if result.status == FAILED else ""
        shown = "".join(f" {k}={display_value(result.values[k])[:40]}" for k in self.swept if k in result.values)
        _say(self.args, f"{head}: item {result.item_id} {result.status}{shown}{error}"
             + (f" -> {files}" if files else ""))


def _image_json(image: Any) -> dict[str, Any]:
    path = str(image.path) if image.path else None
    return {"path": path, "image_name": image.image_name, "width": image.width, "height": image.height,
            "node": image.node_label, "sidecar": str(sidecar_path(image.path)) if image.path else None}


def _report(args: argparse.Namespace, batch_id: str, results: list[ItemResult], timings: Timings,
            grids: list[Path] | None = None) -> int:
    failed = [r for r in results if r.status != COMPLETED]
    if args.json:
        payload = {
            "batch_id": batch_id,
            "items": [
                {
                    "item_id": r.item_id,
                    "status": r.status,
                    "values": r.values,
                    "images": [_image_json(i) for i in r.images],
                    **({"error_type": r.error_type, "error_message": r.error_message} if r.status == FAILED else {}),
                }
                for r in results
            ],
            "timings": timings.as_dict(),
            "grids": [str(p) for p in grids or []],
        }
        print(json.dumps(payload, indent=2, default=str))
    else:
        for r in results:
            shown = " ".join(f"{k}={display_value(v)[:40]}" for k, v in r.values.items())
            print(f"item {r.item_id}: {r.status}" + (f"  {shown}" if shown else ""))
            if r.status == FAILED:
                print(f"  {r.error_type}: {r.error_message}")
            for image in r.images:
                print(f"  {image.node_label}: {image.path or image.image_name} ({image.width}x{image.height})")
        print(timings.table())
    return 1 if failed else 0


# --- run -----------------------------------------------------------------------------------------


def _axes(assignments: list[str], option: str) -> dict[str, str]:
    axes: dict[str, str] = {}
    for name, text in (split_assignment(a, option) for a in assignments):
        if name in axes:
            raise ParameterError(f"{name!r} is swept twice ({option} {name}=...)", field=name)
        axes[name] = text
    return axes


def _dynamic(args: argparse.Namespace) -> DynamicPrompts | bool:
    if not args.dynamic_prompts:
        return False
    return DynamicPrompts(random=args.dynamic_prompts == "random", seed=args.prompt_seed, max_prompts=args.max_prompts)


def cmd_run(args: argparse.Namespace) -> int:
    sets = preset_sets(args.presets)
    sets.update({"model": args.model} if args.model else {})
    sets.update(split_assignment(s, "--set") for s in args.sets)
    sweep = _axes(args.sweep, "--sweep")  # sweep syntax, typed by each field
    zipped = _axes(args.zips, "--zip")
    if (args.workflow is None) == (args.from_image is None):
        raise ParameterError("give a WORKFLOW or --from IMAGE (one of them)")
    if args.grid:
        _grid_axes(args.grid)  # a bad --grid is refused before anything is sent
    out = Path(args.out)
    journal = Journal(args.journal or out / "invokekit-journal.jsonl", out_dir=out.absolute())
    urls = server_urls(args)
    if len(urls) > 1 or args.servers:
        if args.grid:
            raise ParameterError("--grid is for one server; a pool's results are in the output folder", field="--grid")
        return run_pool(args, urls, {
            "source": args.workflow, "runs": args.runs, "sweep": sweep or None, "board": args.board, "sets": sets,
            "text": True, "name": args.name, "zipped": [zipped] if zipped else (), "dynamic_prompts": _dynamic(args),
            "metadata": args.metadata, "style_preset": args.style_preset}, out, journal)
    client = _connect(args)
    client.monitor_for(args.monitor).close()  # a monitor that cannot work is refused before anything is sent
    # one library call: load, set, type the sweep, convert once, pre-flight, journal, POST once
    source = args.workflow if args.from_image is None else client.workflow_from_image(args.from_image)
    job = client.submit(source, runs=args.runs, sweep=sweep or None, board=args.board, journal=journal,
                        sets=sets, text=True, name=args.name, zipped=[zipped] if zipped else (),
                        dynamic_prompts=_dynamic(args), metadata=args.metadata, style_preset=args.style_preset)
    _say(args, f"submitted batch {job.batch_id}: {len(job.item_ids)} item(s) {job.item_ids} to {client.url}")
    with client:  # closes its event connection and download pool
        return _finish(args, job, out)


def _finish(args: argparse.Namespace, job: Job, out: Path) -> int:
    finished = _Finished(args, len(job.item_ids), job.swept)
    try:  # each item is printed and saved as it finishes, while later ones still run
        for result in job.as_completed(out, monitor=args.monitor, timeout=args.timeout, on_update=_progress(args)):
            finished(result)
        results = job.results or []
        grids = _grids(args, job, out)
    except (InvokekitError, KeyboardInterrupt):
        if job.journal is not None:
            _say(args, f"batch {job.batch_id} is on the server; continue with: invokekit resume {job.journal.path}")
        raise
    return _report(args, job.batch_id, results, job.timings, grids)


def _grid_axes(text: str) -> dict[str, str]:
    axes = dict(split_assignment(part, "--grid") for part in text.split(",") if part.strip())
    unknown = sorted(set(axes) - {"x", "y", "z"})
    if unknown or "x" not in axes:
        raise ParameterError(f"--grid {text!r}: give x=NAME and optionally y=NAME, z=NAME", candidates=["x", "y", "z"])
    return axes


def _grids(args: argparse.Namespace, job: Job, out: Path) -> list[Path]:
    if not getattr(args, "grid", None):
        return []
    axes = _grid_axes(args.grid)
    paths = job.grid(axes["x"], axes.get("y"), axes.get("z")).save(out / "grid.png")
    for path in paths:
        _say(args, f"grid: {path}")
    return paths


# --- resume --------------------------------------------------------------------------------------


def cmd_resume(args: argparse.Namespace) -> int:
    """Finish every batch of the journal that is not fully downloaded yet."""
    manifest = Path(args.manifest)
    if manifest.is_file() and is_pool_journal(manifest):
        return resume_pool_run(args, manifest)
    pending = [e for e in read_journal(manifest) if not e.downloads_done]
    if not pending:
        _say(args, f"{manifest}: nothing to resume, every batch is finished")
        return 0
    # with --url every batch goes to that server; else each to the server recorded with it
    if args.url and len(args.url) > 1:
        raise ParameterError("resume takes one --url for a single server's journal", field="--url")
    urls = list(args.url) if args.url else list(dict.fromkeys(e.url for e in pending))
    status = 0
    for url in urls:
        with _connect(args, url=url) as client:
            for job in client.resume(manifest, any_server=bool(args.url)):
                _say(args, f"resuming batch {job.batch_id}: items {job.item_ids}")
                out = Path(args.out or job.out_dir or manifest.parent)
                status = max(status, _finish(args, job, out))
    return status


__all__ = ["cmd_resume", "cmd_run", "register"]
