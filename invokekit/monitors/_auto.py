"""Choosing a monitor by name, and ``auto``: the best backend that works, with fallback at run time.

``auto`` prefers events (instant, with progress), then the SQLite DB (when its path is known:
cheap, fast polls), then the API (always works if the server does). A backend that cannot start,
or that breaks mid-wait (raises :class:`MonitorError`), hands the *same* tracker to the next one,
so the wait continues from what was already seen and no update is emitted twice. Failures that
another backend cannot fix (the server is gone, a timeout, an item that does not exist) are not
fallback reasons and propagate unchanged.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from invokekit.errors import MonitorError, MonitorUnavailable
from invokekit.monitors._api import ApiMonitor
from invokekit.monitors._base import Monitor
from invokekit.monitors._db import DbMonitor
from invokekit.monitors._events import EventMonitor
from invokekit.monitors._hub import EventHub
from invokekit.monitors._tracker import Deadline, TrackedMonitor, Tracker

if TYPE_CHECKING:
    from invokekit.api._transport import Transport


#: what to tell a user whose database monitor has no database to read
PASS_DB_PATH = (
    "pass the server's databases/invokeai.db as db_path= (the CLI's --db PATH, or $INVOKEAI_DB), or choose another "
    "monitor (auto watches with events or the API)"
)

#: the backends, in the order ``auto`` prefers them
BACKENDS = ("events", "db", "api")
#: every name :func:`make_monitor` (the CLI's ``--monitor``, the panel, ``Job.wait``) accepts
MONITOR_NAMES = ("auto", *BACKENDS)


#: finds the server's database when first needed (None: there is none to read)
DbLookup = Callable[[], str | Path | None]


class MonitorFallbackWarning(UserWarning):
    """``auto`` had to give up on a backend and continue with the next one."""


class AutoMonitor(TrackedMonitor):
    """Events, else DB (if ``db_path``), else API; falls back at start-up and mid-wait.

    ``order`` changes the preference (``make_monitor("db")`` is ``order=("db", "api")``);
    ``events_url`` is where socket.io listens when not at the transport's URL; ``hub`` is the
    event connection to share (a client's), else the events backend opens one per watch. ``used`` lists the
    backends that ran during the last watch, in order; ``checks`` and ``check_seconds`` add up
    what they cost.
    """

    name = "auto"

    def __init__(
        self,
        transport: Transport,
        *,
        db_path: str | Path | DbLookup | None = None,
        queue_id: str = "default",
        order: Sequence[str] = BACKENDS,
        events_url: str | None = None,
        hub: EventHub | None = None,
    ) -> None:
        super().__init__()
        self.transport = transport
        self.hub = hub
        self._db = db_path
        self.queue_id = queue_id
        self.events_url = events_url
        unknown = [n for n in order if n not in BACKENDS]
        if unknown or not order:
            raise MonitorError(f"unknown backend(s) {unknown} in order {list(order)}; use events, db, api")
        self._order = tuple(n for n in order if n != "db" or db_path is not None)
        self.used: list[str] = []

    @property
    def db_path(self) -> str | Path | None:
        """The database the db backend reads; a lookup given instead runs on first need (finding and
        proving a database asks the server, which a busy server answers slowly: not before events fail)."""
        if callable(self._db):
            self._db = self._db()
        return self._db

    @property
    def order(self) -> tuple[str, ...]:
        """The backends tried, in order ("db" only when there is a database to read)."""
        return tuple(n for n in self._order if n != "db" or self.db_path is not None)

    def _build(self, name: str) -> TrackedMonitor:
        if name == "events":
            hub = self.hub if self.events_url is None else None
            return EventMonitor(self.transport, queue_id=self.queue_id, url=self.events_url, hub=hub)
        if name == "db":
            path = self.db_path
            if path is None:
                raise MonitorUnavailable(f"no database to read; {PASS_DB_PATH}", backend="db")
            return DbMonitor(path, self.transport, queue_id=self.queue_id)
        return ApiMonitor(self.transport, queue_id=self.queue_id)

    def run(self, tracker: Tracker, deadline: Deadline) -> None:
        self.used = []
        pending = list(self._order)
        while pending:
            name = pending.pop(0)
            backend: TrackedMonitor | None = None
            try:
                backend = self._build(name)
                self.used.append(name)
                backend.run(tracker, deadline)
                return
            except MonitorError as exc:
                pending = [n for n in pending if n != "db" or self.db_path is not None]  # looked up only now
                if not pending:
                    raise
                deadline.check(tracker, cause=exc)  # no time left for another backend
                _warn_fallback(exc, pending[0])
            finally:
                if backend is not None:
                    self.checks += backend.checks
                    self.check_seconds += backend.check_seconds
                    backend.close()


def _warn_fallback(exc: MonitorError, next_name: str) -> None:
    """One warning, on one channel: a :class:`MonitorFallbackWarning` (Python shows it once; the
    CLI prints it as one ``invokekit: warning:`` line, without a source line)."""
    warnings.warn(f"{exc}; falling back to the {next_name} monitor", MonitorFallbackWarning, stacklevel=2)


def make_monitor(
    name: str | Monitor,
    transport: Transport,
    *,
    db_path: str | Path | DbLookup | None = None,
    queue_id: str = "default",
    hub: EventHub | None = None,
) -> Monitor:
    """The monitor called ``name`` (``auto``, ``events``, ``db``, ``api``); a Monitor is returned as is.

    A chosen backend that cannot work says so (a :class:`MonitorFallbackWarning`) and the wait
    continues on the API: ``events`` and ``db`` are ``AutoMonitor`` chains ending in ``api``.
    ``db`` needs ``db_path``; ``auto`` uses the DB only when ``db_path`` is given. For one backend
    and nothing else (benchmarks), build :class:`ApiMonitor`, :class:`DbMonitor` or
    :class:`EventMonitor` directly. ``hub`` is the event connection the events backend shares
    (``Client.events``): one connection for every wait instead of one per wait.
    """
    if isinstance(name, Monitor):
        return name
    key = name.strip().lower()
    if key == "api":
        return ApiMonitor(transport, queue_id=queue_id)
    if key == "auto":
        return AutoMonitor(transport, db_path=db_path, queue_id=queue_id, hub=hub)
    if key == "events":
        return AutoMonitor(transport, queue_id=queue_id, order=("events", "api"), hub=hub)
    if key == "db":
        db_path = db_path() if callable(db_path) else db_path
        if db_path is None:
            raise MonitorUnavailable(f"no database to read; {PASS_DB_PATH}", backend="db")
        return AutoMonitor(transport, db_path=db_path, queue_id=queue_id, order=("db", "api"))
    raise MonitorError(f"unknown monitor {name!r}; choose one of {', '.join(MONITOR_NAMES)}")
