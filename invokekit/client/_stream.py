"""Results as they finish: a job's items, each yielded once it is terminal and its images are on disk.

Three kinds of thread cooperate so that nothing waits for what it does not need. The watch runs in
a thread of its own (the monitor's usual loop; an events monitor is woken by the socket's thread);
each item it sees finish is handed to the consumer's thread, the one iterating
:meth:`Job.as_completed`. That thread builds the item's result from what the monitor already
knows (the outputs carried by the final update) or, for the items whose outputs it does not know,
from one ``items_by_ids`` read for all of them, and gives the downloads to the client's small pool
(:data:`DOWNLOAD_WORKERS` threads), so a sweep's images are fetched while later items still run.
When the client's socket.io connection reports an output image of one of the job's items, the image
is fetched on that pool right away, ahead of its item's completion (:mod:`invokekit.results._prefetch`);
the download then only places it. An item is yielded once its files are written.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit.api._deadline import deadline as requests_end_by
from invokekit.errors import JobError
from invokekit.monitors import Monitor, StatusUpdate, UpdateCallback
from invokekit.monitors._tracker import Deadline, TrackedMonitor, Tracker
from invokekit.results import ItemResult, item_result

if TYPE_CHECKING:
    from invokekit.client._job import Job
    from invokekit.results._prefetch import Lookup

#: threads of a client's download pool: enough to overlap a few transfers, few enough to leave the
#: cores to the server (a download is mostly waiting for the socket and the disk)
DOWNLOAD_WORKERS = 3
#: the server refuses more ids than this in one ``items_by_ids`` request
MAX_IDS = 1000


def read_results(job: Job, item_ids: Sequence[int]) -> dict[int, ItemResult]:
    """The results of finished items whose outputs no monitor told: one read per 1000 items."""
    found: dict[int, ItemResult] = {}
    ids = list(item_ids)
    for start in range(0, len(ids), MAX_IDS):
        chunk = ids[start : start + MAX_IDS]
        for item in job.client.queue.items(chunk, job.queue_id):
            found[int(item["item_id"])] = item_result(item, output_nodes=job.output_nodes, labels=job.labels,
                                                      values=job.values_of(int(item["item_id"])))
        missing = [i for i in chunk if i not in found]
        if missing:
            raise JobError(
                f"queue item(s) {missing[:10]} of batch {job.batch_id} are gone from the server", item_id=missing[0]
            )
    return found


def results_of(job: Job, updates: Sequence[StatusUpdate]) -> dict[int, ItemResult]:
    """Each finished update as a result: from its own outputs when it has them, else read once."""
    known = {
        u.item_id: item_result(u, output_nodes=job.output_nodes, labels=job.labels, values=job.values_of(u.item_id))
        for u in updates
        if u.outputs is not None
    }
    unknown = [u.item_id for u in updates if u.outputs is None]
    return {**known, **(read_results(job, unknown) if unknown else {})}


def _read_bound(timeout: float | None, began: float) -> float | None:
    """How long a read of finished items may take: the watch's time left, but at least the
    :data:`~invokekit.client._job.COLLECT_GRACE` a wait gives it (None without a timeout)."""
    from invokekit.client._job import COLLECT_GRACE

    return None if timeout is None else max(COLLECT_GRACE, timeout - (time.perf_counter() - began))


def _bounded(seconds: float | None, read: Callable[..., Any], *args: Any) -> Any:
    with requests_end_by(seconds):  # in the pool's thread: the bound must be set there
        return read(*args)


def prefetch_outputs(job: Job, folder: Path, pool: Executor) -> tuple[Lookup, Callable[[], None]] | None:
    """Images fetched ahead, fed by the client's socket.io connection if the client has one (never
    opened for it): each output image of the job's items starts fetching when the event reports it.
    Returns the downloads' lookup and the stop (no more listening; what no download took removed)."""
    hub = job.client._events
    if hub is None:
        return None
    from invokekit.results._outputs import result_images
    from invokekit.results._prefetch import Prefetcher

    prefetcher = Prefetcher(job.client.transport, folder, pool)
    ids = set(job.item_ids)

    def on_event(kind: str, data: dict[str, Any]) -> None:
        if kind == "output" and data.get("item_id") in ids:
            for image in result_images(data["output"], job.output_nodes):
                prefetcher.start(image["image_name"], image["width"], image["height"])

    def stop() -> None:
        hub.unlisten(on_event)
        prefetcher.close()

    hub.listen(on_event)
    return prefetcher.take, stop


def stream(
    job: Job,
    watcher: Monitor,
    *,
    owned: bool,
    out_dir: str | Path | None,
    timeout: float | None,
    on_update: UpdateCallback | None,
    pool: Executor,
) -> Iterator[ItemResult]:
    """Yield each item's :class:`ItemResult` as it finishes (its images downloaded into ``out_dir``
    when given); see :meth:`Job.as_completed`."""
    if not job.item_ids:
        return
    inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
    seen: set[int] = set()
    trackers: list[Tracker] = []

    def on_change(update: StatusUpdate) -> None:
        if on_update is not None:
            on_update(update)
        if update.terminal and update.item_id not in seen:
            seen.add(update.item_id)
            inbox.put(("finished", update))

    def watch() -> None:
        try:
            if isinstance(watcher, TrackedMonitor):
                tracker = Tracker(job.item_ids, on_change, batch_id=job.batch_id)
                trackers.append(tracker)
                watcher.run_within(tracker, Deadline(timeout))  # requests bounded by the deadline too
                finals = tracker.result()
            else:
                finals = watcher.watch(job.item_ids, timeout=timeout, on_update=on_change, batch_id=job.batch_id)
            inbox.put(("watched", finals))
        except BaseException as exc:  # handed to the consumer, raised there
            inbox.put(("error", exc))
        finally:
            if owned:
                watcher.close()

    def later(task: Callable[[], Any], kind: str) -> None:
        def run() -> None:
            try:
                inbox.put((kind, task()))
            except BaseException as exc:
                inbox.put(("error", exc))

        pool.submit(run)

    folder = Path(out_dir) if out_dir is not None else None
    unread: list[StatusUpdate] = []
    reading = False
    finished: dict[int, ItemResult] = {}
    began = time.perf_counter()
    last_terminal = last_ready = began
    ahead = prefetch_outputs(job, folder, pool) if folder is not None else None
    prefetched, stop_prefetching = ahead if ahead is not None else (None, None)
    thread = threading.Thread(target=watch, name=f"invokekit-watch-{job.batch_id[:8]}", daemon=True)
    thread.start()

    def start(result: ItemResult) -> None:
        job.note_outputs([result])  # journaled before its images are fetched
        if folder is None or not result.images:
            inbox.put(("ready", result))
        else:
            later(lambda: (job._download_one(result, folder, prefetched), result)[1], "ready")

    try:
        while len(finished) < len(job.item_ids):
            kind, value = inbox.get()
            if kind == "error":
                raise value
            if kind == "finished":
                last_terminal = time.perf_counter()
                job.last_updates[value.item_id] = value
                if value.outputs is None:
                    unread.append(value)
                else:
                    start(item_result(value, output_nodes=job.output_nodes, labels=job.labels,
                                      values=job.values_of(value.item_id)))
            elif kind == "read":
                reading = False
                for result in value.values():
                    start(result)
            elif kind == "ready":
                last_ready = time.perf_counter()
                finished[value.item_id] = value
                job.note_finished(value)
                yield value
            elif kind == "watched":
                job.last_updates.update(value)
            if unread and not reading:  # one read for every item that finished meanwhile
                batch, unread, reading = [u.item_id for u in unread], [], True
                bound = _read_bound(timeout, began)
                later(lambda ids=batch, bound=bound: _bounded(bound, read_results, job, ids), "read")
    finally:
        for tracker in trackers:
            tracker.stop()  # the consumer stopped early (or everything is done): end the watch
        if stop_prefetching is not None:
            stop_prefetching()  # what no download took is removed
        # placed in time, so that the total runs to the last result; without downloads the wait ends
        # with it (reading the last outputs, as wait() counts its read); with them, they do
        last = max(last_terminal, last_ready)
        job.timings.span("wait", began, last_terminal if folder is not None else last)
        if folder is not None:
            job.timings.span("download", last_terminal, last)
        if len(finished) == len(job.item_ids):
            job.results = [finished[i] for i in job.item_ids]
            if folder is not None and job.journal is not None:
                job.journal.downloads_done(job.batch_id, folder)


__all__ = ["DOWNLOAD_WORKERS", "prefetch_outputs", "read_results", "results_of", "stream"]
