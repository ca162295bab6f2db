"""Feeding several servers' queues from one sweep, and keeping the exactly-once promise across them.

One thread per server pulls chunks (see :mod:`invokekit.pool._share`) and sends each through the
library's exactly-once enqueue (:func:`invokekit.client._submit.send_batch`: a batch id the
client chose, journaled before the POST); one thread per chunk watches it with that server's own
monitor (:meth:`Job.as_completed`). Every item has one owner at a time: the chunk it was last
sent in. A result is taken only from its owner, and only once, before its files are written, so
the output folder never holds two images for one item. A server that cannot be reached is
dropped: its undelivered items go back to the front of the pool and run elsewhere; one that
completed there but whose images can no longer be fetched runs again, once.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from invokekit.api._items import COMPLETED, parse_server_time
from invokekit.errors import JobError
from invokekit.pool._chunk import Chunk, cancel_chunk, name_files, server_fault
from invokekit.pool._items import chunk_batch
from invokekit.pool._share import ServerState, chunk_size, now, static_split, wants_more
from invokekit.pool._timings import PoolEvent
from invokekit.results import ItemResult, Timings

if TYPE_CHECKING:
    from invokekit.client import Job
    from invokekit.results import Journal

log = logging.getLogger("invokekit.pool")
FEEDER = "invokekit-pool-feed-"  # threads that hand out chunks: cancel and halt wait for them


class Dispatcher:
    """The shared state of one pool run; see the module docs."""

    def __init__(self, servers: Sequence[ServerState], count: int, *, strategy: str, journal: Journal | None,
                 pool_id: str, name: str | None, monitor: str, timeout: float | None,
                 out_dir: str | os.PathLike[str] | None) -> None:
        self.servers = list(servers)
        self.count = count
        self.strategy, self.journal, self.pool_id, self.name = strategy, journal, pool_id, name
        self.monitor, self.timeout, self.out_dir = monitor, timeout, out_dir
        self.started_at = now()
        self.pending: deque[int] = deque(range(count))
        self.owner: dict[int, Chunk] = {}
        self.chunks: list[Chunk] = []  # every chunk of the run, in the order sent
        self.results: dict[int, ItemResult] = {}
        self.rerun: set[int] = set()
        self.claimed: set[int] = set()  # items whose files are being fetched
        self.events: list[PoolEvent] = []
        self.outbox: queue.SimpleQueue[tuple[int, ItemResult] | BaseException | None] = queue.SimpleQueue()
        self.finished_at: float | None = None
        self.stopped = False
        self.error: BaseException | None = None  # what stopped the run
        self.cond = threading.Condition()
        self.threads: list[threading.Thread] = []
        if strategy == "static":
            static_split(list(self.pending), self.servers)
            self.pending.clear()

    # --- running ------------------------------------------------------------------------------
    def start(self, adopted: Sequence[Chunk] = ()) -> None:
        """Start one feeding thread per server (and a watch for each chunk already on a server)."""
        for chunk in adopted:
            self._watch(chunk)
        for server in self.servers:
            self._thread(self._feed, server, name=f"{FEEDER}{server.url.rsplit(':', 1)[-1]}")

    def resume(self, done: Mapping[int, ItemResult], adopted: Sequence[Chunk]) -> None:
        """Start again from a journal: ``done`` items were delivered before (they are yielded
        first), ``adopted`` chunks are still on their servers (watched again, not sent again)."""
        with self.cond:
            for index, result in sorted(done.items()):
                self.results[index] = result
                self.outbox.put((index, result))
            for chunk in adopted:
                self.chunks.append(chunk)
                for i in chunk.open:
                    self.owner[i] = chunk
                chunk.server.outstanding += len(chunk.open)
            self.pending = deque(i for i in range(self.count) if i not in self.results and i not in self.owner)
            if self.done:
                self.finished_at = now() - self.started_at
                self.outbox.put(None)
        self.start(adopted)

    def again(self, indices: Sequence[int]) -> None:
        """Run delivered items again, once (their images could not be fetched from their server,
        gone since); returns when every item is delivered again or raises what stopped the run."""
        with self.cond:
            for i in indices:
                if i in self.rerun:
                    raise JobError(f"item {i} of the sweep ran twice on servers that went away before its images "
                                   "could be fetched; not run a third time")
                old = self.results.pop(i)
                self.rerun.add(i)
                self.owner.pop(i, None)
                self.events = [replace(e, delivered=False) if e.index == i and e.delivered else e for e in self.events]
                for s in self.servers:
                    s.delivered -= s.url == old.server
                    s.alive = s.alive and s.url != old.server
            self.pending.extend(sorted(indices))
            self.finished_at = None
        self.start()
        with self.cond:
            while not self.done and not self.stopped:
                self.cond.wait(0.25)
        if not self.done:
            raise self.error or JobError("the pool run stopped before every item ran again")

    def _thread(self, target: Callable[..., None], *args: object, name: str) -> None:
        thread = threading.Thread(target=target, args=args, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    @property
    def done(self) -> bool:
        return len(self.results) >= self.count

    def _feed(self, server: ServerState) -> None:
        while True:
            with self.cond:
                while not self.stopped and server.alive and not self.done and not self._wants(server):
                    self.cond.wait(0.25)  # woken by every finish; the timeout re-checks the end game
                if self.stopped or not server.alive or self.done:
                    return
                indices = self._take(server)
                chunk = Chunk(server, str(uuid.uuid4()), indices, now() - self.started_at, open=set(indices))
                for i in indices:
                    self.owner[i] = chunk
                self.chunks.append(chunk)
                server.outstanding += len(indices)
            try:
                self._send(chunk)
            except BaseException as exc:
                self._server_lost(server, exc) if server_fault(exc) else self._fail(exc)
                return
            if self.stopped and chunk.job is not None:  # canceled while this chunk was on its way
                cancel_chunk(chunk)
                return
            self._watch(chunk)

    def _wants(self, server: ServerState) -> bool:
        if server.assigned:
            return True
        return wants_more(server, self.servers, len(self.pending))

    def _take(self, server: ServerState) -> list[int]:
        if server.assigned:
            taken, server.assigned = server.assigned, []
            return taken
        size = chunk_size(server, self.servers, len(self.pending))
        return [self.pending.popleft() for _ in range(min(size, len(self.pending)))]

    def _send(self, chunk: Chunk) -> None:
        from invokekit.client._submit import send_batch

        server = chunk.server
        if self.journal is not None:  # which items this batch carries, before the batch is journaled and sent
            self.journal.append("pool_chunk", chunk.batch_id, pool_id=self.pool_id, url=server.url,
                                indices=chunk.indices)
        batch = chunk_batch(server.batch, server.rows, chunk.indices)
        chunk.sent_at = now() - self.started_at
        job = send_batch(server.client, batch, journal=self.journal, queue_id="default", prepend=False,
                         timings=Timings(), name=self.name, batch_id=chunk.batch_id)
        self.attach(chunk, job)

    def attach(self, chunk: Chunk, job: Job) -> None:
        """Tie ``job`` (the chunk's batch on its server) to the chunk's sweep indices."""
        chunk.job = job
        chunk.index_of = dict(zip(job.item_ids, chunk.indices, strict=True))
        job.indices = dict(chunk.index_of)

    def _watch(self, chunk: Chunk) -> None:
        self._thread(self._follow, chunk, name=f"invokekit-pool-watch-{chunk.batch_id[:8]}")

    def _follow(self, chunk: Chunk) -> None:
        assert chunk.job is not None
        try:
            for result in chunk.job.as_completed(monitor=self.monitor, timeout=self.timeout):
                self._deliver(chunk, result)
        except BaseException as exc:
            self._server_lost(chunk.server, exc) if server_fault(exc) else self._fail(exc)

    # --- results --------------------------------------------------------------------------------
    def _deliver(self, chunk: Chunk, result: ItemResult) -> None:
        index = chunk.index_of[result.item_id]
        server = chunk.server
        started, completed = parse_server_time(result.started_at), parse_server_time(result.completed_at)
        with self.cond:
            chunk.open.discard(index)
            if self.owner.get(index) is not chunk or index in self.results or index in self.claimed:
                return  # an abandoned chunk's late result: the item was given to another server
            self.claimed.add(index)  # while its files are fetched, no one else gets the item
            server.outstanding = max(0, server.outstanding - 1)
            server.observe(started, completed)
            self.cond.notify_all()
        result = replace(result, server=server.url)
        if self.out_dir is not None and result.status == COMPLETED and chunk.job is not None:
            try:
                if self.journal is not None:
                    name_files(self.journal, self.pool_id, chunk, result, self.out_dir)
                chunk.job._download_one(result, self.out_dir)  # atomic files, named by sweep index
            except BaseException as exc:
                self._unreadable(chunk, index, exc)
                raise
        began, ended = (None if t is None else t - self.started_at for t in (started, completed))
        event = PoolEvent(server.url, index, chunk.sent_at, began, ended)
        with self.cond:
            self.claimed.discard(index)
            self.results[index] = result
            server.delivered += 1
            self.events.append(event)
            if self.done:
                self.finished_at = now() - self.started_at
            self.cond.notify_all()
        self.outbox.put((index, result))
        if self.done:
            self.outbox.put(None)

    def _unreadable(self, chunk: Chunk, index: int, exc: BaseException) -> None:
        """An item completed on a server whose images can no longer be read: run it again, once
        (when its server is already dropped it goes back to the pool here, else with the server)."""
        with self.cond:
            self.claimed.discard(index)
            if not server_fault(exc):
                return  # not the server's fault (a full disk ...): the run fails with it
            if index in self.rerun:
                self._fail(JobError(f"item {index} of the sweep completed twice on servers that went away before "
                                    f"its images could be fetched; not run a third time: {exc}"))
                return
            self.rerun.add(index)
            if not chunk.server.alive and self.owner.get(index) is chunk:
                self.owner.pop(index)
                self.events.append(PoolEvent(chunk.server.url, index, chunk.sent_at, None, None, delivered=False))
                self.pending.appendleft(index)
                self.cond.notify_all()

    def _server_lost(self, server: ServerState, exc: BaseException) -> None:
        with self.cond:
            if self.stopped or self.done:
                return
            first = server.alive
            server.alive, server.error, server.outstanding = False, server.error or exc, 0
            back = sorted(i for i, c in self.owner.items()
                          if c.server is server and i not in self.results and i not in self.claimed)
            for i in back:
                chunk = self.owner.pop(i)
                self.events.append(PoolEvent(server.url, i, chunk.sent_at, None, None, delivered=False))
            back += [i for i in server.assigned if i not in back]
            server.assigned = []
            self.pending.extendleft(reversed(sorted(set(back) - set(self.pending))))
            if first:
                log.warning("server %s dropped from the pool (%s); %d item(s) go to the others",
                            server.url, exc, len(back))
            if not any(s.alive for s in self.servers):
                self._fail(exc, locked=True)
            self.cond.notify_all()

    def _fail(self, exc: BaseException, *, locked: bool = False) -> None:
        if not locked:
            with self.cond:
                self._fail(exc, locked=True)
            return
        if not self.stopped:
            self.stopped, self.error = True, exc
            self.outbox.put(exc)
        self.cond.notify_all()

    # --- control --------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Stop handing out items and cancel what the servers hold of this run, once no send is in flight."""
        with self.cond:
            self.stopped = True
            chunks = {id(c): c for c in self.owner.values()}.values()
            self.cond.notify_all()
        for chunk in chunks:
            cancel_chunk(chunk)
        self._join_feeders()
        self.outbox.put(None)

    def halt(self, exc: BaseException) -> None:
        """End the run with ``exc``, canceling nothing (a resume can finish it), once no send is in flight."""
        self._fail(exc)
        self._join_feeders()

    def _join_feeders(self) -> None:
        for thread in [t for t in self.threads if t.name.startswith(FEEDER) and t is not threading.current_thread()]:
            thread.join(120)  # bounded anyway: each send is bounded by its client's request timeout


__all__ = ["Dispatcher"]
