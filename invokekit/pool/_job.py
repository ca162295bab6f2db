"""The handle of one sweep over a pool: the same verbs as a single server's :class:`Job`.

Results come as the servers finish them (:meth:`PoolJob.as_completed`), each once, with the
server that made it; :meth:`PoolJob.result` gives them in sweep order. The work itself runs on
the dispatcher's threads from the moment of submission, whether or not anyone iterates.
"""

from __future__ import annotations

import os
import queue
import time
from collections.abc import Iterator
from pathlib import Path

from invokekit.api._items import CANCELED, FAILED
from invokekit.errors import JobCanceled, JobFailed, JobTimeout
from invokekit.pool._dispatch import Dispatcher
from invokekit.pool._share import now
from invokekit.pool._timings import PoolEvent, PoolTimings, pool_timings
from invokekit.results import ItemResult


class PoolJob:
    """One sweep spread over several servers (made by :meth:`Pool.submit`).

    ``servers`` are the URLs the sweep runs on; ``skipped`` the servers left out (URL -> why:
    no such model there, unreachable). ``count`` is the number of items in the sweep.
    """

    def __init__(self, dispatcher: Dispatcher, skipped: dict[str, BaseException] | None = None) -> None:
        self._dispatch = dispatcher
        self.pool_id: str = dispatcher.pool_id
        self.count: int = dispatcher.count
        self.servers: list[str] = [s.url for s in dispatcher.servers]
        self.skipped: dict[str, BaseException] = dict(skipped or {})
        #: the swept names, in order (what tells the items apart)
        self.swept: list[str] = list(dispatcher.servers[0].batch.swept) if dispatcher.servers else []
        #: POSIX time the dispatch started; :attr:`timeline` counts seconds from it
        self.started_at: float = dispatcher.started_at
        self._yielded: set[int] = set()
        self._ended = False

    def __repr__(self) -> str:
        return f"PoolJob(items={self.count}, servers={self.servers}, done={len(self._dispatch.results)})"

    def __iter__(self) -> Iterator[ItemResult]:
        return self.as_completed()

    @property
    def out_dir(self) -> str | os.PathLike[str] | None:
        """Where images go as items finish (``Pool.submit(out_dir=...)``)."""
        return self._dispatch.out_dir

    def as_completed(self, timeout: float | None = None) -> Iterator[ItemResult]:
        """Yield each item's result as it is delivered (its images on disk when the job has an
        :attr:`out_dir`), in the order they finish. Raises the error that stopped the run (all
        servers lost: the last server's error) and :class:`JobTimeout` when the sweep is not
        finished after ``timeout`` seconds (the servers keep their items: iterate again to go on)."""
        if self._ended:
            yield from (r for i, r in sorted(self._dispatch.results.items()) if i not in self._yielded)
            return
        end = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                item = self._dispatch.outbox.get(timeout=None if end is None else max(0.0, end - time.monotonic()))
            except queue.Empty:
                raise JobTimeout(f"the pool's sweep is not finished after {timeout:g} s "
                                 f"({len(self._dispatch.results)} of {self.count} items delivered)") from None
            if isinstance(item, BaseException):
                self._dispatch.outbox.put(item)  # every later call raises it too
                raise item
            if item is None:
                self._ended = True
                self._dispatch.outbox.put(None)
                return
            index, result = item
            if index in self._yielded:
                continue
            self._yielded.add(index)
            yield result

    def index_of(self, result: ItemResult) -> int:
        """The sweep index of a result of this job."""
        for index, found in self._dispatch.results.items():
            if found is result:
                return index
        raise KeyError(f"not a result of this pool job: item {result.item_id} on {result.server}")

    def wait(self, timeout: float | None = None) -> list[ItemResult]:
        """Every item's result in sweep order, once all are delivered (failed ones included)."""
        for _ in self.as_completed(timeout=timeout):
            pass
        results = self._dispatch.results
        missing = [i for i in range(self.count) if i not in results]
        if missing:
            raise JobCanceled(f"{len(missing)} item(s) of the sweep were canceled before they ran "
                              f"(sweep indices {missing[:10]})")
        return [results[i] for i in range(self.count)]

    def result(self, timeout: float | None = None) -> list[ItemResult]:
        """Like :meth:`wait`, but raise :class:`JobFailed` / :class:`JobCanceled` for a bad item."""
        results = self.wait(timeout)
        for r in results:
            if r.status == FAILED:
                raise JobFailed(item_id=r.item_id, error_type=r.error_type, error_message=r.error_message,
                                error_traceback=r.error_traceback)
        for r in results:
            if r.status == CANCELED:
                raise JobCanceled(f"queue item {r.item_id} on {r.server} was canceled", item_id=r.item_id)
        return results

    def download(self, out_dir: str | os.PathLike[str]) -> list[Path]:
        """Download every completed item's images into ``out_dir`` (waits first); paths in sweep
        order. Files are named by sweep index and values, so items from different servers never
        collide; images already stored there by this job are not fetched again. An item whose
        server went away before its images were fetched runs again on another, once (pass
        ``out_dir`` to :meth:`Pool.submit` to fetch each as it finishes instead)."""
        from invokekit.pool._chunk import server_fault

        self.wait()
        folder = Path(out_dir)
        paths: dict[int, list[Path]] = {}
        lost: list[int] = []
        for index, result in sorted(self._dispatch.results.items()):
            if result.images and all(r.path is not None and Path(r.path).parent == folder for r in result.images):
                paths[index] = [Path(str(r.path)) for r in result.images]
                continue
            chunk = self._dispatch.owner.get(index)
            if chunk is None or chunk.job is None:  # delivered before a resume: its files are known
                paths[index] = [_copy(Path(str(r.path)), folder) for r in result.images if r.path is not None]
                continue
            try:
                paths[index] = chunk.job._download_one(result, folder)
            except Exception as exc:
                if not server_fault(exc):
                    raise
                lost.append(index)
        if lost:
            self._dispatch.out_dir = folder  # the runs again fetch their images as they finish
            self._dispatch.again(lost)
            for index in lost:
                paths[index] = [Path(str(r.path)) for r in self._dispatch.results[index].images if r.path]
        return [p for index in sorted(paths) for p in paths[index]]

    def cancel(self) -> None:
        """Stop handing out items and cancel this sweep's unfinished items on every server."""
        self._dispatch.cancel()

    @property
    def chunks(self) -> list[tuple[str, str, list[int]]]:
        """Every chunk sent (or taken over by a resume): ``(server URL, batch id, sweep indices)``."""
        with self._dispatch.cond:
            return [(c.server.url, c.batch_id, list(c.indices)) for c in self._dispatch.chunks]

    @property
    def timeline(self) -> list[PoolEvent]:
        """One event per run of an item (a run lost with its server too), in the order sent."""
        with self._dispatch.cond:
            return sorted(self._dispatch.events, key=lambda e: (e.sent_at, e.index))

    @property
    def timings(self) -> PoolTimings:
        """Per server: items delivered, busy and idle seconds; the makespan (seconds from the
        start to the last delivery, or until now while running)."""
        d = self._dispatch
        with d.cond:
            end = d.finished_at if d.finished_at is not None else now() - d.started_at
            return pool_timings(self.servers, list(d.events), end, {s.url: s.delivered for s in d.servers})


def _copy(path: Path, folder: Path) -> Path:
    """``path`` copied into ``folder`` under its name, through the download's own temporary file
    and placing (never a half-written file, never a different file replaced)."""
    import shutil

    from invokekit.results._fetch import drop, new_part, place

    target = folder / path.name
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        fd, part = new_part(folder)
        try:
            with os.fdopen(fd, "wb") as out, path.open("rb") as src:
                shutil.copyfileobj(src, out)
        except BaseException:
            drop(part)
            raise
        place(part, target, path.name)  # the part is removed whatever happens
    return target


__all__ = ["PoolJob"]
