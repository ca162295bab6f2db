"""What a pool run measured: one :class:`PoolEvent` per item, and per-server totals from them.

The point of a pool is a short makespan; the timeline shows where it went (which server ran
which item, how long it waited between being sent and starting), and the per-server totals say
whether a server sat idle while others worked (the static split's failure on mixed GPUs).
Times are seconds since the pool job started (``PoolJob.started_at``, the client's clock);
``started_at`` / ``completed_at`` are the server's own timestamps of the item moved onto that
scale, so they assume the servers' clocks agree with the client's (NTP; always true for
sandboxes on one machine).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PoolEvent:
    """One item's run on one server (``index``: its position in sweep order)."""

    server: str
    index: int
    #: when its chunk was sent (client clock)
    sent_at: float
    #: when the server started / completed it (server clock; None when unknown)
    started_at: float | None
    completed_at: float | None
    #: False for a run whose result was never delivered (its server died): the item ran again elsewhere
    delivered: bool = True


@dataclass(frozen=True)
class ServerTimings:
    """One server's share of the run: items delivered, seconds running them, seconds not."""

    items: int
    busy_s: float
    idle_s: float


@dataclass(frozen=True)
class PoolTimings:
    """Per-server totals (by server URL) and the makespan (first send to last delivery)."""

    servers: dict[str, ServerTimings] = field(default_factory=dict)
    makespan_s: float = 0.0

    def table(self) -> str:
        """A small text table, one line per server (what ``invokekit run`` prints)."""
        lines = [f"{'server':<32} {'items':>5} {'busy s':>8} {'idle s':>8}"]
        for url, t in self.servers.items():
            lines.append(f"{url:<32} {t.items:>5} {t.busy_s:>8.2f} {t.idle_s:>8.2f}")
        lines.append(f"makespan: {self.makespan_s:.2f} s")
        return "\n".join(lines)


def _union(intervals: Sequence[tuple[float, float]]) -> float:
    """The length of the union of ``intervals`` (a multi-GPU server runs items side by side)."""
    total, end = 0.0, float("-inf")
    for start, stop in sorted(intervals):
        if stop <= end:
            continue
        total += stop - max(start, end)
        end = stop
    return total


def pool_timings(servers: Sequence[str], events: Sequence[PoolEvent], makespan: float,
                 delivered: Mapping[str, int]) -> PoolTimings:
    """Totals per server: ``busy_s`` is the time it ran items (union of their runs, delivered or
    not), ``idle_s`` the rest of the makespan."""
    out: dict[str, ServerTimings] = {}
    for url in servers:
        runs = [(e.started_at, e.completed_at) for e in events if e.server == url
                and e.started_at is not None and e.completed_at is not None]
        # within this run (a resumed run's adopted items may have started before it)
        busy = _union([(max(a, 0.0), min(b, makespan)) for a, b in runs if a is not None and b is not None
                       and b > 0.0 and a < makespan])
        out[url] = ServerTimings(items=int(delivered.get(url, 0)), busy_s=busy, idle_s=max(0.0, makespan - busy))
    return PoolTimings(servers=out, makespan_s=makespan)


__all__ = ["PoolEvent", "PoolTimings", "ServerTimings", "pool_timings"]
