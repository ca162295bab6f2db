"""How long every stage of a run took, on the client and on the server.

The point of invokekit is to make the cost of each stage visible: where a run spends its time
(loading the workflow, converting it, the enqueue POST, waiting, downloading) and how long the
server held each item (queued, then running), plus how late the client noticed each completion
(detection latency: the moment the monitor saw it minus the server's ``completed_at``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from invokekit.api._items import parse_server_time

#: client-side stages, in the order they happen
CLIENT_STAGES = ("load", "customize", "convert", "submit", "wait", "download")


@dataclass
class ItemTiming:
    """Server-side timing of one queue item (seconds; None when the server did not say)."""

    item_id: int
    queued: float | None = None
    run: float | None = None
    detect_latency: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"item_id": self.item_id, "queued": self.queued, "run": self.run, "detect_latency": self.detect_latency}


@dataclass
class Timings:
    """Stage durations of one run (seconds). Stages measured twice add up (e.g. two downloads).

    ``total`` is the wall-clock time from the start of the first measured stage (loading the
    workflow, or the submit) to the end of the last one (the last result read or downloaded), so it
    includes the gaps between stages. Stages that overlap (a stream downloads while it still
    waits) count once in it.
    """

    stages: dict[str, float] = field(default_factory=dict)
    items: dict[int, ItemTiming] = field(default_factory=dict)
    _start: float | None = None
    _end: float | None = None

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Measure the ``with`` block as stage ``name`` (also when it raises)."""
        begin = time.perf_counter()
        try:
            yield
        finally:
            self.span(name, begin, time.perf_counter())

    def span(self, name: str, begin: float, end: float) -> None:
        """Record stage ``name`` as running from ``begin`` to ``end`` (``time.perf_counter()``
        readings), for a stage measured by hand rather than by one ``with`` block."""
        self.add(name, max(0.0, end - begin))
        self._start = begin if self._start is None else min(self._start, begin)
        self._end = end if self._end is None else max(self._end, end)

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to stage ``name`` without placing it in time (``total`` is unchanged)."""
        self.stages[name] = self.stages.get(name, 0.0) + seconds

    @property
    def total(self) -> float | None:
        if self._start is None or self._end is None:
            return None
        return self._end - self._start

    def record_item(
        self,
        item_id: int,
        *,
        created_at: str | None,
        started_at: str | None,
        completed_at: str | None,
        seen_at: float | None = None,
    ) -> ItemTiming:
        """Store the server timestamps of an item and, if given, when the client saw it finish."""
        created, started, completed = (parse_server_time(v) for v in (created_at, started_at, completed_at))
        timing = ItemTiming(item_id)
        if created is not None and started is not None:
            timing.queued = max(0.0, started - created)
        if started is not None and completed is not None:
            timing.run = max(0.0, completed - started)
        if completed is not None and seen_at is not None:
            timing.detect_latency = seen_at - completed
        self.items[item_id] = timing
        return timing

    def _server_summary(self) -> dict[str, float | None]:
        def mean(values: list[float]) -> float | None:
            return sum(values) / len(values) if values else None

        queued = [t.queued for t in self.items.values() if t.queued is not None]
        run = [t.run for t in self.items.values() if t.run is not None]
        detect = [t.detect_latency for t in self.items.values() if t.detect_latency is not None]
        return {
            "queued_mean": mean(queued),
            "queued_max": max(queued) if queued else None,
            "run_mean": mean(run),
            "run_total": sum(run) if run else None,
            "detect_latency_mean": mean(detect),
            "detect_latency_max": max(detect) if detect else None,
        }

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view: client stages, total, server summary and per-item numbers."""
        client = {name: self.stages[name] for name in CLIENT_STAGES if name in self.stages}
        client.update({k: v for k, v in self.stages.items() if k not in client})
        return {
            "client": client,
            "total": self.total,
            "server": self._server_summary(),
            "items": [t.as_dict() for t in sorted(self.items.values(), key=lambda t: t.item_id)],
        }

    def table(self) -> str:
        """A small plain-text table for the terminal and notebooks."""

        def fmt(value: float | None) -> str:
            return "-" if value is None else f"{value:8.3f} s"

        lines = ["stage               time"]
        data = self.as_dict()
        for name, value in data["client"].items():
            lines.append(f"{name:<16}{fmt(value)}")
        lines.append(f"{'total':<16}{fmt(data['total'])}")
        server = data["server"]
        if self.items:
            lines.append(f"{'server queued':<16}{fmt(server['queued_mean'])}  (mean of {len(self.items)} item(s))")
            lines.append(f"{'server run':<16}{fmt(server['run_mean'])}  (mean)")
            lines.append(f"{'detect latency':<16}{fmt(server['detect_latency_mean'])}  (mean)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


__all__ = ["CLIENT_STAGES", "ItemTiming", "Timings", "parse_server_time"]
