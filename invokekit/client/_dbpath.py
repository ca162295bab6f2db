"""Finding the database of the server a client talks to, and proving that it is that server's.

``db_path="auto"`` (the default) looks where the server's ``databases/invokeai.db`` can be, in
the order of the evidence: the invokekit sandbox whose URL it is; for a server on this machine
(a loopback or local address), the root of the process listening on the URL's port, read from
``/proc`` the way InvokeAI chooses it (``--root``, ``$INVOKEAI_ROOT``, the parent of its
``$VIRTUAL_ENV``; then its working directory and its ``~/invokeai``); last, ``~/invokeai``. A
candidate is used only once :func:`~invokekit.monitors._dbfile.prove_database` accepts it: the
queue in the file must be the server's. A path given by the user is proven the same way, so a
wrong one is refused before anything is submitted.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from invokekit import _procfs
from invokekit.api._deadline import deadline
from invokekit.errors import JobTimeout, MonitorUnavailable, ServerUnavailable

if TYPE_CHECKING:
    from invokekit.api import Queue, Transport
    from invokekit.monitors import EventHub, Monitor

DB_FILE = Path("databases") / "invokeai.db"  # under the root, unless invokeai.yaml moves db_dir
_DB_DIR_RE = re.compile(r"^db_dir:\s*['\"]?([^'\"#\n]+?)['\"]?\s*(#.*)?$", re.MULTILINE)


@dataclass(frozen=True)
class ServerDatabase:
    """The database a client reads for its server, and why (``str()`` says it in one line).

    ``path`` is the file to read, None when there is none to use. ``verdict``: ``proven`` (its
    queue is the server's), ``unproven`` (nothing to compare yet: the database monitor checks the
    first batch it watches), ``refused`` (no candidate survived; ``reason`` says why), ``off``
    (``db_path=None``). ``source`` names where the path came from.
    """

    path: Path | None
    verdict: Literal["proven", "unproven", "refused", "off"]
    reason: str
    source: str | None = None
    tried: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        if self.path is None:
            return self.reason
        return f"{self.path} ({self.source}; {self.reason})"


@dataclass(frozen=True)
class _Endpoint:
    url: str
    port: int
    addresses: frozenset[str]

    @classmethod
    def parse(cls, url: str) -> _Endpoint:
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            port = 0
        host = parts.hostname or ""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM) if host else []
        except (OSError, UnicodeError):
            infos = []
        return cls(url.rstrip("/"), port, frozenset(str(info[4][0]).split("%", 1)[0] for info in infos))

    def same(self, url: str) -> bool:
        other = _Endpoint.parse(url)
        return other.port == self.port and bool(other.addresses & self.addresses)

    @property
    def local(self) -> bool:
        """True when the server's address is one of this machine's (loopback, or bindable here)."""
        return bool(self.addresses) and all(_is_local(a) for a in self.addresses)


def _is_local(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if ip.is_loopback:
        return True
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((address, 0))  # only an address of one of this machine's interfaces binds
        except OSError:
            return False
    return True


# --- where the database may be -------------------------------------------------------------------


def _db_file(root: Path) -> Path:
    """``root``'s database: ``databases/invokeai.db``, or under the ``db_dir`` its invokeai.yaml sets."""
    try:
        found = _DB_DIR_RE.search((root / "invokeai.yaml").read_text(encoding="utf-8"))
    except (OSError, UnicodeError):
        found = None
    return (root / found.group(1).strip() / DB_FILE.name) if found else root / DB_FILE


def _process_roots(pid: int) -> Iterator[tuple[Path, str]]:
    """The roots the process ``pid`` may be serving, strongest evidence first."""
    argv = _procfs.cmdline(pid) or []
    env = _procfs.environ(pid)
    workdir = _procfs.cwd(pid)
    name = f"pid {pid}" + (f" ({' '.join(Path(a).name for a in argv[:2])})" if argv else "")
    for i, arg in enumerate(argv):
        if arg == "--root" and i + 1 < len(argv):
            yield (workdir or Path("/")) / argv[i + 1], f"--root of {name}"
        elif arg.startswith("--root="):
            yield (workdir or Path("/")) / arg.removeprefix("--root="), f"--root of {name}"
    if env.get("INVOKEAI_ROOT"):
        yield (workdir or Path("/")) / env["INVOKEAI_ROOT"], f"INVOKEAI_ROOT of {name}"
    if env.get("VIRTUAL_ENV"):
        yield Path(env["VIRTUAL_ENV"]).parent, f"VIRTUAL_ENV of {name}"
    if workdir is not None:
        yield workdir, f"working directory of {name}"
    if env.get("HOME"):
        yield Path(env["HOME"]) / "invokeai", f"~/invokeai of {name}"


def _candidates(endpoint: _Endpoint) -> Iterator[tuple[Path, str]]:
    from invokekit.sandbox._lookup import sandbox_serving

    sandbox = sandbox_serving(endpoint.same)
    if sandbox is not None:
        yield sandbox.db_path, f"sandbox {sandbox.name!r}"
    if not endpoint.local:
        return
    for pid in _procfs.listening_pids(endpoint.port, set(endpoint.addresses)):
        for root, source in _process_roots(pid):
            yield _db_file(root), source
    yield _db_file(Path.home() / "invokeai"), "~/invokeai"


def find_database(
    url: str, queue: Queue, setting: str | os.PathLike[str] | None, *, queue_id: str = "default"
) -> ServerDatabase:
    """The database of the server at ``url`` for ``setting`` (``"auto"``, a path, or None: off).

    Only reads: state files, ``/proc``, and the candidates themselves (read-only), plus two API
    reads per candidate that exists.
    """
    from invokekit.monitors._dbfile import prove_database

    server = f"the server at {url}"
    if setting is None:
        return ServerDatabase(None, "off", "db_path=None: the database is not read")
    if setting != "auto":
        path = Path(setting).expanduser()
        proof = prove_database(path, queue, queue_id=queue_id, server=server)
        if not proof.usable:
            return ServerDatabase(None, "refused", f"the db_path given, {str(path)!r}: {proof.reason}")
        return ServerDatabase(path, proof.verdict, proof.reason, "db_path")  # type: ignore[arg-type]
    endpoint = _Endpoint.parse(url)
    tried: list[str] = []
    seen: set[Path] = set()
    for path, source in _candidates(endpoint):
        if path in seen:
            continue
        seen.add(path)
        if not path.is_file():
            tried.append(f"{source}: no {path}")
            continue
        proof = prove_database(path, queue, queue_id=queue_id, server=server)
        if proof.usable:
            return ServerDatabase(path, proof.verdict, proof.reason, source, tuple(tried))  # type: ignore[arg-type]
        tried.append(f"{source}: {proof.reason}")
    if not endpoint.local and not tried:
        reason = f"{server} is not on this machine, so its database cannot be read here"
    else:
        reason = f"no database of {server} found on this machine ({'; '.join(tried)})"
    return ServerDatabase(None, "refused", reason, tried=tuple(tried))


def choose_monitor(
    monitor: str | Monitor,
    transport: Transport,
    database: Callable[[], ServerDatabase],
    *,
    queue_id: str = "default",
    db_path: str | os.PathLike[str] | None = None,
    hub: EventHub | None = None,
) -> Monitor:
    """``make_monitor`` with the database found by ``database()`` (asked only for ``db`` and
    ``auto`` when ``db_path`` is not given); ``db`` without one is refused, saying why."""
    from invokekit.monitors import Monitor, make_monitor
    from invokekit.monitors._auto import PASS_DB_PATH

    if isinstance(monitor, Monitor):
        return monitor
    name = monitor.strip().lower()
    path: str | os.PathLike[str] | Callable[[], Path | None] | None = db_path
    if path is None and name == "auto":  # events first: the database is looked for when they fail
        path = lambda: database().path  # noqa: E731
    elif path is None and name == "db":
        found = database()
        if found.path is None:
            why = f"cannot watch {transport.base_url} through its database: {found.reason}"
            raise MonitorUnavailable(f"{why}; {PASS_DB_PATH}", backend="db")
        path = found.path
    return make_monitor(name, transport, db_path=path, queue_id=queue_id, hub=hub)


class DatabaseMethods:
    """The database part of :class:`~invokekit.client.Client` (its ``url``, ``queue``, ``transport``
    and ``db_path`` setting), kept beside the finding it relies on."""

    url: str
    queue: Queue
    transport: Transport
    events: EventHub
    _db_setting: str | os.PathLike[str] | None
    _database: ServerDatabase | None

    @property
    def db_path(self) -> str | None:
        """The server's ``invokeai.db`` when one is usable (found and proven on first use), else None."""
        found = self.database()
        return str(found.path) if found.path is not None else None

    def database(self, *, refresh: bool = False) -> ServerDatabase:
        """Where this server's database is, and how that is known (cached; ``refresh`` looks again)."""
        if self._database is None or refresh:
            self._database = find_database(self.url, self.queue, self._db_setting)
        return self._database

    def monitor_for(
        self,
        monitor: str | Monitor = "auto",
        *,
        queue_id: str = "default",
        db_path: str | os.PathLike[str] | None = None,
        timeout: float | None = None,
    ) -> Monitor:
        """The monitor ``monitor`` (``auto``, ``events``, ``db``, ``api``) for this server's queue.

        Call it before submitting to refuse a monitor that cannot work while nothing is sent: ``db``
        without a usable database raises :class:`MonitorUnavailable` saying why and what to pass. ``auto``
        reads the database only when it is usable. ``db_path`` overrides the client's. ``timeout``
        bounds the choice (proving the database asks the server): a server that does not answer in
        time is a :class:`JobTimeout`, as the wait it is chosen for would be.
        """
        began = time.monotonic()
        try:
            with deadline(timeout):
                return choose_monitor(monitor, self.transport, self.database, queue_id=queue_id, db_path=db_path,
                                      hub=self.events)
        except ServerUnavailable as exc:
            if timeout is None or time.monotonic() - began < timeout:
                raise
            raise JobTimeout(f"not finished after {timeout:g} s: the server did not answer in time: {exc}") from exc


__all__ = ["DatabaseMethods", "ServerDatabase", "choose_monitor", "find_database"]
