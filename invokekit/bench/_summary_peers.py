"""The ``peers`` notebook judged: issue 10's per-job targets, the side-by-side table, the ratios.

Pure data in, text out, like :mod:`invokekit.bench._summary` (which calls it): every target gets a
verdict and one sentence saying why, with the numbers that decided it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from invokekit.bench._judging import fmt, get, target

#: the per-job columns of the side-by-side table: (key in the results, heading)
COLUMNS = (("overhead_ms", "overhead (wall - server run)"), ("returned_ms", "completed_at -> wait returns"),
           ("png_ms", "completed_at -> PNG on disk"), ("cpu_ms", "client CPU (process)"))


def peer_targets(peers: Any) -> list[dict[str, Any]]:
    """Issue 10's targets, measured beside the other clients in one run (``peers`` notebook)."""
    ik = get(peers, "clients", "invokekit") or {}
    why_none = get(peers, "skipped") or "peers not measured (a full run measures them)"

    def check(name: str, value: Any, unit: str, limit: float | None, met: str, missed: str) -> dict[str, Any]:
        if value is None or limit is None:
            return target(name, value, unit, None, why_none)
        return target(name, value, unit, value < limit, met if value < limit else missed)

    best_cpu = get(peers, "best_peer_median", "cpu_ms")
    best_peer = min(((get(p, "cpu_ms", "median"), n) for n, p in (get(peers, "clients") or {}).items()
                     if n != "invokekit" and get(p, "cpu_ms", "median") is not None), default=(None, "-"))[1]
    overhead, cpu = get(ik, "overhead_ms", "median"), get(ik, "cpu_ms", "median")
    returned, png = get(ik, "returned_ms", "median"), get(ik, "png_ms", "median")
    requests, conns = get(ik, "requests", "median"), get(peers, "connections_in_one_process")
    sweep = get(peers, "sweep") or {}
    first = get(peers, "first_job") or {}
    between = None if png is None or returned is None else png - returned
    return [
        check("client overhead per job (wall - server run) median < 10 ms", overhead, "ms", 10,
              "enqueue, pick-up, detection and download fit in 10 ms.",
              f"mostly the server's time: its enqueue answer and its completion event reaching us "
              f"({fmt(returned, 1)} ms), then {fmt(between, 1)} ms to the PNG on disk; the client's CPU is "
              f"{fmt(cpu, 1)} ms."),
        check("client CPU per job (default monitor) below the best peer's", cpu, "ms", best_cpu,
              f"{fmt(cpu, 1)} ms against {best_peer}'s {fmt(best_cpu, 1)} ms, in the same run.",
              f"{fmt(cpu, 1)} ms against {best_peer}'s {fmt(best_cpu, 1)} ms: the socket reader decodes every "
              f"event of the job (~50, progress previews included), which polling peers never receive."),
        check("completed_at -> result returned p50 < 3 ms (push)", returned, "ms", 3,
              "the completion event arrives within 3 ms.",
              "the server emits the completion event from its event loop after writing the item; the wait "
              "returns as soon as it arrives."),
        check("completed_at -> PNG on disk p50 < 10 ms", png, "ms", 10,
              f"detection, then placing the image fetched (checked, fsynced) when its output node's event came, "
              f"~20 ms before the item's completion ({fmt(between, 1)} ms).",
              f"detection {fmt(returned, 1)} ms, then {fmt(between, 1)} ms to place the image (fetched when its "
              f"output node's event came; the GET is still running when the completion arrives)."),
        check("<= 3 HTTP requests per single-image job, one connection", requests, "requests",
              3.5 if conns == 1 else (0 if conns else None),
              f"{fmt(requests, 1)} requests per job (enqueue, image GET) and {conns} socket.io connection for "
              f"every job of the process.",
              f"{fmt(requests, 1)} requests per job, {conns} socket.io connection(s) over the process's jobs."),
        check("16-seed sweep: last completion -> last PNG < 20 ms", sweep.get("last_completion_to_last_png_ms"),
              "ms", 20, f"images download as items finish: {sweep.get('pngs_before_last_completion')} of "
              f"{sweep.get('seeds')} PNGs were on disk before the last item completed.",
              f"{sweep.get('pngs_before_last_completion')} of {sweep.get('seeds')} PNGs were on disk before "
              f"the last completion; the last one still waits for its detection and GET."),
        check("first job of a new process < 20 ms more than steady state (context cached)", first.get("extra_ms"),
              "ms", 20, "the server context is on disk and the first Client() imported the job's modules in the "
              "background (requests, socket.io, the workflow package) before the job came; it only opens the "
              "socket.io connection.",
              "the first job opens the socket.io connection (handshake, subscription) after its enqueue, so its "
              "item is read once through the API; the job's modules were imported in the background since "
              "Client()."),
        check("import invokekit + Client(...) < 60 ms", first.get("import_client_ms"), "ms", 60,
              "requests, Pillow, socket.io, tqdm and the workflow package are imported on first use or in the "
              "background after Client() returns.",
              "the interpreter's own start-up modules count here too, and on a loaded machine imports slow down."),
    ]


def peer_section(peers: Any) -> list[str]:
    """The markdown of the side-by-side comparison: medians per client, ratios, workarounds."""
    clients = get(peers, "clients")
    if not isinstance(clients, Mapping) or not clients:
        return []
    lines = ["## Beside the other clients", "",
             f"{peers.get('jobs')} interleaved jobs per client, same graph (SDXL {peers.get('size')} px, "
             f"{peers.get('steps')} steps), medians in ms.", "",
             "| client | version | " + " | ".join(h for _, h in COLUMNS) + " | requests | import + client |",
             "|---|---|" + "---|" * (len(COLUMNS) + 2)]
    for name, data in clients.items():
        cells = [fmt(get(data, key, "median"), 1) for key, _ in COLUMNS]
        lines.append(f"| {name} | {data.get('version', '-')} | " + " | ".join(cells)
                     + f" | {fmt(get(data, 'requests', 'median'), 1)} | {fmt(data.get('import_client_ms'), 1)} |")
    ratios = get(peers, "ratios_best_peer_over_invokekit") or {}
    shown = [f"{h} {ratios[k]:.2f}x" for k, h in COLUMNS if isinstance(ratios.get(k), int | float)]
    if shown:
        lines += ["", "Best peer / invokekit (above 1: invokekit needs less): " + ", ".join(shown) + "."]
    lines += ["", "What each client needed to run the graph:", ""]
    lines += [f"- {name}: {data.get('workaround', '-')}" for name, data in clients.items()]
    return [*lines, ""]


__all__ = ["COLUMNS", "peer_section", "peer_targets"]
