"""``Pool``: several InvokeAI servers behind one submit.

Each server keeps its own truth: its own :class:`Client`, its own conversion and pre-flight
(:meth:`Client.prepare`: a model is resolved by name on each, as keys differ between servers),
its own monitor. A server that cannot take the sweep (no such model, a node type it lacks, not
reachable) is left out with a :class:`ServerSkipped` warning instead of being fed failing items;
when no server can take it, the error one server would give is raised, before anything is sent.
"""

from __future__ import annotations

import logging
import os
import uuid
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal, Unpack

from invokekit.client import Client
from invokekit.client._prepare import ExploreOptions, Source
from invokekit.errors import InvokekitError, JobError, ParameterError
from invokekit.pool._dispatch import Dispatcher
from invokekit.pool._items import item_rows
from invokekit.pool._job import PoolJob
from invokekit.pool._share import ServerState
from invokekit.results import Journal
from invokekit.results._values import plan_values, set_values
from invokekit.workflow import Batch

log = logging.getLogger("invokekit.pool")
Strategy = Literal["pull", "static"]


class ServerSkipped(UserWarning):
    """A server of the pool cannot take this sweep (the message says why); the others run it."""


class Pool:
    """Several servers, one sweep: ``Pool(["http://a:9090", "http://b:9090"])`` or ``Pool([client_a, ...])``.

    URLs become clients the way every entry point makes them (:meth:`Client.from_env`: the token
    from ``$INVOKEAI_TOKEN``; the database found when the server is on this machine); clients the
    pool made are closed by :meth:`close` (or ``with Pool(...)``), clients passed in are not.
    """

    def __init__(self, servers: Sequence[str | Client], *, timeout: float = 30.0) -> None:
        if not servers:
            raise ParameterError("a pool needs at least one server URL")
        self.clients: list[Client] = []
        self._owned: list[Client] = []
        self._jobs: list[PoolJob] = []  # halted by close() when still running
        for server in servers:
            client = server if isinstance(server, Client) else Client.from_env(str(server), timeout=timeout)
            if not isinstance(server, Client):
                self._owned.append(client)
            self.clients.append(client)
        urls = [c.url for c in self.clients]
        twice = sorted({u for u in urls if urls.count(u) > 1})
        if twice:
            self.close()
            raise ParameterError(f"a server is in the pool twice: {', '.join(twice)}")

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, timeout: float = 30.0) -> Pool:
        """The servers listed in a file: one URL per line (blank lines and ``#`` comments
        skipped), or a ``.toml`` file with ``servers = ["http://a:9090", ...]``."""
        return cls(read_servers(path), timeout=timeout)

    def __repr__(self) -> str:
        return f"Pool({[c.url for c in self.clients]})"

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the pool's unfinished runs handing out items (what the servers already hold stays
        there: a journaled run can be resumed) and close the clients the pool made."""
        for job in self._jobs:
            if not job._dispatch.done:
                job._dispatch.halt(JobError("the pool was closed before its sweep finished; the servers keep "
                                            "what they hold (resume the journal to finish the run)"))
        self._jobs = []
        for client in self._owned:
            client.close()
        self._owned = []

    def submit(
        self,
        source: Source,
        sets: Mapping[str, Any] | None = None,
        sweep: Mapping[str, Sequence[Any] | str] | None = None,
        board: str | None = None,
        journal: str | os.PathLike[str] | Journal | None = None,
        strategy: Strategy = "pull",
        *,
        runs: int = 1,
        out_dir: str | os.PathLike[str] | None = None,
        name: str | None = None,
        monitor: str = "auto",
        timeout: float | None = None,
        text: bool = False,
        check: bool | None = None,
        **explore: Unpack[ExploreOptions],
    ) -> PoolJob:
        """Spread one sweep over the pool's servers; see :meth:`Client.submit` for ``source``,
        ``sets``, ``sweep``, ``board``, ``runs``, ``text``, ``check``, ``name`` and ``explore``.

        ``strategy="pull"`` hands the items out a few at a time as servers finish
        (:mod:`invokekit.pool._share`); ``"static"`` splits them equally up front. ``out_dir``:
        each item's images are downloaded as it finishes (named by sweep index, so a re-run
        never leaves a second file). ``journal`` records the run (per chunk: server, batch id,
        sweep indices) before anything is sent, for :meth:`resume`. ``timeout`` bounds each
        chunk's watch (a server slower than that counts as gone).
        """
        if strategy not in ("pull", "static"):
            raise ParameterError(f"strategy must be 'pull' or 'static', not {strategy!r}", field="strategy")
        servers, skipped = self._prepare(lambda c: c.prepare(
            source, runs, sweep, board, sets=sets, text=text, check=check, **explore), monitor)
        if name is not None:  # a file name template that cannot be filled is refused before sending
            from invokekit.explore._names import check_template

            check_template(name, servers[0].batch.value_places)
        log_ = journal if isinstance(journal, Journal) or journal is None else Journal(journal, out_dir=out_dir)
        pool_id = str(uuid.uuid4())
        count = len(servers[0].rows)
        if log_ is not None:
            log_.append("pool", pool_id, servers=[s.url for s in servers], count=count, strategy=strategy,
                        name=name, out_dir=str(out_dir) if out_dir is not None else log_.out_dir,
                        batches={s.url: batch_record(s.batch) for s in servers})
        dispatcher = Dispatcher(servers, count, strategy=strategy, journal=log_, pool_id=pool_id, name=name,
                                monitor=monitor, timeout=timeout, out_dir=out_dir)
        dispatcher.start()
        return self._keep(PoolJob(dispatcher, skipped))

    def _keep(self, job: PoolJob) -> PoolJob:
        self._jobs.append(job)
        return job

    def resume(self, journal: str | os.PathLike[str] | Journal, *, monitor: str = "auto",
               timeout: float | None = None) -> PoolJob:
        """Finish a crashed pool run from its journal on this pool's servers (those of the run that
        answer): delivered items are not run or fetched again, chunks still on a server are watched
        again (never sent twice), the rest runs on the servers that answer. Raises
        :class:`JournalError` for a journal that is not a pool run's."""
        from invokekit.pool._resume import resume_pool

        return self._keep(resume_pool(journal, self.clients, monitor=monitor, timeout=timeout))

    @classmethod
    def of_journal(cls, journal: str | os.PathLike[str], *, timeout: float = 30.0) -> Pool:
        """A pool of the servers a pool journal's run used."""
        from invokekit.pool._resume import pool_records

        head, _ = pool_records(journal)
        if head is None:
            from invokekit.errors import JournalError

            raise JournalError("not a pool journal (no pool record in it)", path=Path(journal))
        return cls([str(u) for u in head.get("servers") or []], timeout=timeout)

    def _prepare(self, prepare: Callable[[Client], Batch],
                 monitor: str) -> tuple[list[ServerState], dict[str, BaseException]]:
        """Each server's own checked batch, side by side; the servers that cannot take it skipped."""
        def one(client: Client) -> ServerState:
            client.app.version()  # it answers (a raw graph's prepare may ask it nothing)
            batch = prepare(client)
            client.monitor_for(monitor).close()  # a monitor that cannot work: refused before sending
            return ServerState(client=client, batch=batch, rows=item_rows(batch))

        with ThreadPoolExecutor(max(1, len(self.clients)), thread_name_prefix="invokekit-pool-prepare") as ex:
            futures = [(c, ex.submit(one, c)) for c in self.clients]
        servers: list[ServerState] = []
        errors: dict[str, BaseException] = {}
        for client, future in futures:
            exc = future.exception()
            if exc is None:
                servers.append(future.result())
            elif isinstance(exc, InvokekitError):
                errors[client.url] = exc
            else:
                raise exc
        if not servers:
            raise next(iter(errors.values()))  # what one server would have said
        plans = {s.url: plan_of(s.batch) for s in servers}
        first = servers[0]
        for s in servers[1:]:
            if len(s.rows) != len(first.rows) or plans[s.url] != plans[first.url]:
                raise ParameterError(f"the sweep makes different items on {s.url} ({len(s.rows)}) than on "
                                     f"{first.url} ({len(first.rows)}): the servers differ in what they expand")
        for url, exc in errors.items():
            warnings.warn(f"server {url} is left out of the pool for this sweep: {exc}", ServerSkipped,
                          stacklevel=3)
            log.warning("server %s skipped: %s", url, exc)
        return servers, errors


def plan_of(batch: Batch) -> list[dict[str, Any]]:
    """Each item's values as a person reads them (model names, not keys): equal on every server."""
    values = set_values(batch.graph, batch.value_places, skip=batch.swept)
    return plan_values(batch.data, batch.value_places, values, batch.runs)


def batch_record(batch: Batch) -> dict[str, Any]:
    """What a resume needs to rebuild a server's batch of the whole sweep."""
    return {"body": batch.to_dict(), "output_nodes": batch.output_nodes, "labels": batch.labels,
            "places": {k: [list(p) for p in v] for k, v in batch.value_places.items()}, "swept": batch.swept}


def read_servers(path: str | os.PathLike[str]) -> list[str]:
    """The URLs of a servers file (see :meth:`Pool.from_file`)."""
    where = Path(path)
    try:
        text = where.read_text(encoding="utf-8")
    except OSError as exc:
        raise ParameterError(f"cannot read the servers file {where}: {exc.strerror or exc}", file=str(where)) from None
    if where.suffix.lower() == ".toml":
        import tomllib

        try:
            urls = tomllib.loads(text).get("servers")
        except tomllib.TOMLDecodeError as exc:
            raise ParameterError(f"{where} is not valid TOML: {exc}", file=str(where)) from None
        if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
            raise ParameterError(f"{where} needs servers = [\"http://host:9090\", ...]", file=str(where))
    else:
        urls = [line.split("#", 1)[0].strip() for line in text.splitlines()]
    urls = [u for u in urls if u]
    if not urls:
        raise ParameterError(f"no server URL in {where}", file=str(where))
    return urls


__all__ = ["Pool", "ServerSkipped", "Strategy", "read_servers"]
