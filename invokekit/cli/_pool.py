"""``invokekit run --url A --url B`` / ``--servers FILE``, and ``resume`` of a pool run's journal.

The CLI only parses; :class:`invokekit.pool.Pool` does the work (each server's own conversion,
pre-flight and monitor, the pulling dispatch, the exactly-once enqueue, the journal). This module
prints what the pool delivers: one line per item as it finishes, naming the server that made
it, then the results in sweep order and the per-server timing table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from invokekit.api._items import COMPLETED, FAILED
from invokekit.errors import InvokekitError
from invokekit.explore._values import display_value
from invokekit.pool import Pool, PoolJob
from invokekit.results import Journal


def _say(args: argparse.Namespace, message: str) -> None:
    print(message, file=sys.stderr if args.json else sys.stdout, flush=True)


def server_urls(args: argparse.Namespace) -> list[str]:
    """The servers ``--url`` (repeated) and ``--servers FILE`` name, in that order."""
    from invokekit.pool import read_servers

    urls = list(args.url or [])
    if getattr(args, "servers", None):
        urls += read_servers(args.servers)
    return urls


def run_pool(args: argparse.Namespace, urls: list[str], submit: Mapping[str, Any], out: Path,
             journal: Journal) -> int:
    """Run one sweep over ``urls`` (``submit``: the keyword arguments of :meth:`Pool.submit`)."""
    with Pool(urls) as pool:
        source = submit["source"]
        if args.from_image is not None:
            source = pool.clients[0].workflow_from_image(args.from_image)
        job = pool.submit(**{**submit, "source": source}, journal=journal, out_dir=out, monitor=args.monitor,
                          timeout=args.timeout)
        for url, why in job.skipped.items():
            _say(args, f"skipped {url}: {why}")
        _say(args, f"submitted {job.count} item(s) to {len(job.servers)} server(s): {', '.join(job.servers)}")
        return finish_pool(args, job, journal)


def finish_pool(args: argparse.Namespace, job: PoolJob, journal: Journal) -> int:
    began, done = time.perf_counter(), 0
    try:
        for result in job.as_completed():
            done += 1
            left = job.count - done
            eta = (time.perf_counter() - began) / done * left
            shown = "".join(f" {k}={display_value(result.values[k])[:40]}" for k in job.swept if k in result.values)
            files = ", ".join(str(i.path or i.image_name) for i in result.images)
            error = f" {result.error_type}: {result.error_message}" if result.status == FAILED else ""
            _say(args, f"{done}/{job.count} done" + (f", ETA {eta:.1f} s" if left else "")
                 + f": item {job.index_of(result)} {result.status}{shown}{error} on {result.server}"
                 + (f" -> {files}" if files else ""))
        results = job.wait()
    except (InvokekitError, KeyboardInterrupt):
        _say(args, f"the pool run is journaled; continue with: invokekit resume {journal.path}")
        raise
    if args.json:
        print(json.dumps({
            "pool_id": job.pool_id,
            "items": [{"index": i, "server": r.server, "item_id": r.item_id, "status": r.status, "values": r.values,
                       "images": [str(im.path or im.image_name) for im in r.images]} for i, r in enumerate(results)],
            "timings": {"makespan_s": job.timings.makespan_s,
                        "servers": {u: vars(t) for u, t in job.timings.servers.items()}},
            "skipped": {u: str(e) for u, e in job.skipped.items()},
        }, indent=2, default=str))
    else:
        for i, r in enumerate(results):
            shown = " ".join(f"{k}={display_value(v)[:40]}" for k, v in r.values.items())
            print(f"item {i}: {r.status} on {r.server}" + (f"  {shown}" if shown else ""))
            for image in r.images:
                print(f"  {image.node_label}: {image.path or image.image_name}")
        print(job.timings.table())
    return 0 if all(r.status == COMPLETED for r in results) else 1


def resume_pool_run(args: argparse.Namespace, manifest: Path) -> int:
    """Finish a pool run's journal on its servers (or on those ``--url`` names)."""
    urls = list(args.url or [])
    pool = Pool(urls) if urls else Pool.of_journal(manifest)
    with pool:
        journal = Journal(manifest)
        job = pool.resume(journal, monitor=args.monitor, timeout=args.timeout)
        for url, why in job.skipped.items():
            _say(args, f"skipped {url}: {why}")
        _say(args, f"resuming the pool run of {manifest}: {job.count} item(s) on {', '.join(job.servers)}")
        return finish_pool(args, job, journal)


__all__ = ["finish_pool", "resume_pool_run", "run_pool", "server_urls"]
