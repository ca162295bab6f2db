"""The pool benchmark's targets (issue 14), judged from ``pool.ipynb``'s JSON: pure data in, rows out.

- mixed pool: the pull makespan within 15% of the ideal, and at least 1.3x shorter than the equal
  static split;
- a server killed halfway: every item's image delivered exactly once, and the makespan within
  1.5x of the ideal of the remaining servers.

A quick run (2 servers, a handful of items) shows its numbers but judges nothing: too few items
for a makespan to mean much.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: the limits the issue sets
PULL_OVER_IDEAL = 1.15
STATIC_OVER_PULL = 1.3
KILLED_OVER_IDEAL = 1.5


def _target(name: str, value: float | None, unit: str, met: bool | None, why: str) -> dict[str, Any]:
    status = "NOT MEASURED" if met is None else ("MET" if met else "MISSED")
    return {"target": name, "value": value, "unit": unit, "status": status, "why": why}


def pool_targets(pool: Any) -> list[dict[str, Any]]:
    """The pool's three checks, each with a one-sentence reason."""
    pool = pool if isinstance(pool, Mapping) else {}
    kill = pool.get("kill") if isinstance(pool.get("kill"), Mapping) else {}
    items, servers = pool.get("items"), len(pool.get("servers") or {})
    judged = bool(pool) and not pool.get("quick", True)
    absent = "pool not measured" if not pool else f"quick run ({servers} servers, {items} items): a full run judges"
    over, ratio = pool.get("pull_over_ideal"), pool.get("static_over_pull")
    ideal, pull = pool.get("ideal_s"), (pool.get("pull") or {}).get("makespan_s")
    static = (pool.get("static") or {}).get("makespan_s")
    out = []
    if over is None or ratio is None or not judged:
        out.append(_target("mixed pool: pull makespan within 15% of the ideal", over, "x ideal", None, absent))
        out.append(_target("mixed pool: pull >= 1.3x shorter than the equal split", ratio, "x", None, absent))
    else:
        speeds = ", ".join(f"{s} {r.get('items_per_s', 0):.2f}" for s, r in (pool.get("capacity") or {}).items())
        out.append(_target(
            "mixed pool: pull makespan within 15% of the ideal", over, "x ideal", over <= PULL_OVER_IDEAL,
            f"pull {pull:.1f} s vs ideal {ideal:.1f} s from the servers' measured items/s ({speeds})."))
        bound = pool.get("split_bound")
        out.append(_target(
            "mixed pool: pull >= 1.3x shorter than the equal split", ratio, "x", ratio >= STATIC_OVER_PULL,
            f"equal split {static:.1f} s vs pull {pull:.1f} s"
            + (f"; these speeds allow at most {bound:.2f}x." if bound else ".")))
    once, k_over = kill.get("exactly_once"), kill.get("over_ideal_remaining")
    if not kill or not judged:
        why = absent if pool else "pool not measured"
        if kill:
            why += f" ({kill.get('images', {}).get('files')} images for {items} items in the quick run)"
        out.append(_target("server killed halfway: every image once, makespan <= 1.5x ideal of the rest", k_over,
                           "x ideal", None, why))
    else:
        images = kill.get("images") or {}
        met = bool(once) and k_over is not None and k_over <= KILLED_OVER_IDEAL
        out.append(_target(
            "server killed halfway: every image once, makespan <= 1.5x ideal of the rest", k_over, "x ideal", met,
            f"{images.get('files')} image files ({images.get('distinct_bytes')} distinct) for {items} items, "
            f"{kill.get('lost_runs')} runs lost with {kill.get('server')}; {kill.get('makespan_s', 0):.1f} s vs "
            f"{kill.get('ideal_remaining_s', 0):.1f} s ideal without it."))
    return out


def pool_headline_rows(pool: Any) -> list[tuple[str, str, str]]:
    """Headline rows: the three makespans, and the killed run's."""
    if not isinstance(pool, Mapping) or not pool:
        return []
    pull, static = (pool.get("pull") or {}).get("makespan_s"), (pool.get("static") or {}).get("makespan_s")
    rows = [(f"pool: {pool.get('items')} items on {len(pool.get('servers') or {})} servers, pull / equal split / ideal",
             f"{_s(pull)} / {_s(static)} / {_s(pool.get('ideal_s'))}", pool.get("speed_control") or "-")]
    kill = pool.get("kill")
    if isinstance(kill, Mapping) and kill:
        rows.append((f"pool: server {kill.get('server')} killed halfway, makespan / ideal of the rest",
                     f"{_s(kill.get('makespan_s'))} / {_s(kill.get('ideal_remaining_s'))}", "-"))
    return rows


def _s(value: Any) -> str:
    return f"{value:.1f} s" if isinstance(value, int | float) else "-"


__all__ = ["pool_headline_rows", "pool_targets"]
