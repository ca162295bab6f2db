"""The handle of one submitted batch: watch it, collect its results as they finish, download,
cancel, time it (a Future-like handle, as gradio_client's ``Job``)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit.api._deadline import deadline
from invokekit.api._items import CANCELED, FAILED, QueueItem
from invokekit.client._saving import ResultFiles
from invokekit.errors import JobCanceled, JobFailed
from invokekit.results import ImageRef, ItemResult, StoredFile, Timings

if TYPE_CHECKING:  # the monitors are imported on the first wait: building a client stays cheap
    from invokekit.client._client import Client
    from invokekit.explore import Grid
    from invokekit.media import LocalMedia
    from invokekit.monitors import Monitor, StatusUpdate, UpdateCallback
    from invokekit.results import Journal
    from invokekit.results._prefetch import Lookup

#: seconds reading the results may take beyond a wait's timeout, once every item was seen finished
COLLECT_GRACE = 5.0


class Job:
    """A batch on the server and its queue items (``item_ids`` oldest first).

    Created by :meth:`Client.submit` (or :meth:`Client.job` to re-attach to a known batch).
    :meth:`as_completed` (and iterating the job) yields each item's :class:`ItemResult` as it
    finishes, its images already downloaded when there is an output folder; ``wait`` returns them
    all, in item order, whatever their outcome; ``result`` raises :class:`JobFailed` /
    :class:`JobCanceled` instead. ``timings`` collects every stage.
    """

    def __init__(
        self,
        client: Client,
        *,
        batch_id: str,
        item_ids: Sequence[int],
        queue_id: str = "default",
        output_nodes: Sequence[str] | None = None,
        labels: dict[str, str] | None = None,
        timings: Timings | None = None,
        journal: Journal | None = None,
        places: Mapping[str, Sequence[Sequence[str]]] | None = None,
        values: Mapping[str, Any] | None = None,
        swept: Sequence[str] = (),
        name: str | None = None,
        item_values: Mapping[int, Mapping[str, Any]] | None = None,
        uploads: Mapping[str, LocalMedia] | None = None,
        inputs: Mapping[int, dict[str, str]] | None = None,
    ) -> None:
        self.client: Client = client
        self.batch_id: str = batch_id
        self.item_ids: list[int] = sorted(int(i) for i in item_ids)
        self.queue_id: str = queue_id
        self.output_nodes: list[str] | None = list(output_nodes) if output_nodes is not None else None
        self.labels: dict[str, str] = dict(labels or {})
        self.timings: Timings = timings or Timings()
        self.journal: Journal | None = journal
        #: one result per item, in ``item_ids`` order, once :meth:`wait` returned
        self.results: list[ItemResult] | None = None
        #: where this batch's images go when the job is iterated (``Client.resume`` sets the journal's)
        self.out_dir: str | os.PathLike[str] | None = None
        #: images the journal says are already stored (set by ``Client.resume``): not fetched again
        self.stored: dict[str, StoredFile] = {}
        self.last_updates: dict[int, StatusUpdate] = {}
        #: server-side name -> the local file (or in-memory image) uploaded for this batch
        self.uploads: dict[str, LocalMedia] = dict(uploads or {})
        #: item id -> ``{"node_id.field": local source}``: the local inputs each item runs on
        self.inputs: dict[int, dict[str, str]] = dict(inputs or {})
        #: friendly name -> the ``(node_id, field)`` inputs it went to; the values set (not swept)
        self.places: dict[str, list[tuple[str, str]]] = {
            k: [(str(n), str(f)) for n, f in v] for k, v in (places or {}).items()}
        self.values: dict[str, Any] = dict(values or {})
        #: the swept names, in order (the default file name and grids show them)
        self.swept: list[str] = list(swept)
        #: each item's values by friendly name (``ItemResult.values``)
        self.item_values: dict[int, dict[str, Any]] = {int(k): dict(v) for k, v in (item_values or {}).items()}
        #: item id -> its position in a pool's sweep (names the files instead of the item id)
        self.indices: dict[int, int] = {}
        #: the file name template of downloads (``"{seed}-{node}"``; None: readable default)
        self.name: str | None = name
        #: write a ``<file>.json`` sidecar next to each downloaded image
        self.sidecars: bool = True
        self.files = ResultFiles(self)

    def __repr__(self) -> str:
        return f"Job(batch_id={self.batch_id!r}, item_ids={self.item_ids}, queue_id={self.queue_id!r})"

    # --- status ---------------------------------------------------------------------------------

    def status(self) -> dict[int, str]:
        """The current status of every item, in one request."""
        return {item.item_id: item.status for item in self._items()}

    def _items(self) -> list[QueueItem]:
        return [QueueItem.from_api(s) for s in self.client.queue.summaries(self.item_ids, self.queue_id)]

    def cancel(self) -> list[int]:
        """Cancel every item that has not finished yet; return the ids that were canceled."""
        canceled = []
        for item in self._items():
            if not item.terminal:
                self.client.queue.cancel(item.item_id, self.queue_id)
                canceled.append(item.item_id)
        return canceled

    # --- waiting ------------------------------------------------------------------------------

    def _monitor(
        self, monitor: str | Monitor, db_path: str | os.PathLike[str] | None, timeout: float | None
    ) -> tuple[Monitor, bool]:
        from invokekit.monitors import Monitor

        if isinstance(monitor, Monitor):
            return monitor, False
        return self.client.monitor_for(monitor, queue_id=self.queue_id, db_path=db_path, timeout=timeout), True

    def __iter__(self) -> Iterator[ItemResult]:
        """:meth:`as_completed` with the defaults (images go to :attr:`out_dir` when it is set)."""
        return self.as_completed()

    def as_completed(
        self,
        out_dir: str | os.PathLike[str] | None = None,
        *,
        monitor: str | Monitor = "auto",
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        db_path: str | os.PathLike[str] | None = None,
    ) -> Iterator[ItemResult]:
        """Yield each item's result as it finishes, in the order they finish.

        With ``out_dir`` (default :attr:`out_dir`) each completed item's images are downloaded on
        the client's small pool while later items still run, and the item is yielded once they
        are on disk (``ImageRef.path`` set). Raises like :meth:`wait` (``JobTimeout``, ...); when
        the loop stops early, the watch stops too. After the last item, :attr:`results` holds them
        all in item order.
        """
        folder = out_dir if out_dir is not None else self.out_dir
        if self.results is not None and all(r.terminal for r in self.results):
            for result in self.results:  # final statuses never change: nothing left to watch
                if folder is not None:
                    self._download_one(result, folder)
                yield result
            if folder is not None and self.journal is not None:
                self.journal.downloads_done(self.batch_id, folder)
            return
        from invokekit.client._stream import stream

        watcher, owned = self._monitor(monitor, db_path, timeout)
        yield from stream(self, watcher, owned=owned, out_dir=folder, timeout=timeout, on_update=on_update,
                          pool=self.client.downloads)

    def note_outputs(self, results: Sequence[ItemResult]) -> None:
        """Journal finished items' statuses and image names before any download (a resume fetches
        the images by name, even once the server has pruned the items)."""
        if self.journal is not None:
            self.journal.outputs(self.batch_id, results)

    def note_finished(self, result: ItemResult) -> None:
        """Record a finished item's server timings."""
        seen = self.last_updates.get(result.item_id)
        self.timings.record_item(
            result.item_id,
            created_at=result.created_at,
            started_at=result.started_at,
            completed_at=result.completed_at,
            seen_at=seen.seen_at if seen is not None and seen.terminal else None,
        )

    def wait(
        self,
        monitor: str | Monitor = "auto",
        timeout: float | None = None,
        on_update: UpdateCallback | None = None,
        progress: bool = False,
        db_path: str | os.PathLike[str] | None = None,
    ) -> list[ItemResult]:
        """Block until every item is terminal; return their results (failed items included).

        Raises :class:`JobTimeout` after ``timeout`` seconds (a frozen server too: every request
        of the wait ends by then; reading the results of items seen finished takes at most
        :data:`COLLECT_GRACE` s more) and :class:`MonitorError` / :class:`ServerUnavailable` when
        the server goes away, never hangs.
        """
        if self.results is not None and all(r.terminal for r in self.results):
            return self.results  # final statuses never change: nothing left to watch
        callbacks: list[UpdateCallback] = [cb for cb in (on_update,) if cb is not None]
        bar = None
        if progress:
            from invokekit.monitors import progress_bar

            bar = progress_bar(len(self.item_ids))
            callbacks.append(bar)

        def dispatch(update: StatusUpdate) -> None:
            for callback in callbacks:
                callback(update)

        began = time.monotonic()
        with self.timings.stage("wait"):
            watcher, owned = self._monitor(monitor, db_path, timeout)
            try:
                finals = watcher.watch(
                    self.item_ids, timeout=timeout, on_update=dispatch if callbacks else None, batch_id=self.batch_id
                )
            finally:
                if owned:
                    watcher.close()
                if bar is not None:
                    bar.close()
            self.last_updates.update(finals)
            left = None if timeout is None else max(COLLECT_GRACE, timeout - (time.monotonic() - began))
            with deadline(left):
                self.results = self._collect(finals)
        return self.results

    def _collect(self, finals: dict[int, StatusUpdate]) -> list[ItemResult]:
        """The results, from the outputs the monitor already has (one read for those it lacks)."""
        from invokekit.client._stream import results_of

        found = results_of(self, [finals[i] for i in self.item_ids if i in finals])
        results = [found[i] for i in self.item_ids]
        for result in results:
            self.note_finished(result)  # finals are in last_updates (wait put them there)
        self.note_outputs(results)
        return results

    def result(self, timeout: float | None = None, monitor: str | Monitor = "auto") -> list[ItemResult]:
        """Like :meth:`wait`, but raise :class:`JobFailed` / :class:`JobCanceled` for a bad item."""
        results = self.wait(monitor=monitor, timeout=timeout)
        for r in results:
            if r.status == FAILED:
                raise JobFailed(
                    item_id=r.item_id,
                    error_type=r.error_type,
                    error_message=r.error_message,
                    error_traceback=r.error_traceback,
                )
        for r in results:
            if r.status == CANCELED:
                raise JobCanceled(f"queue item {r.item_id} of batch {self.batch_id} was canceled", item_id=r.item_id)
        return results

    # --- results ------------------------------------------------------------------------------

    def download(self, out_dir: str | os.PathLike[str], *, monitor: str | Monitor = "auto",
                 name: str | None = None) -> list[Path]:
        """Download the output images (and videos) of every completed item into ``out_dir`` (waits first).

        The items' downloads run side by side on the client's pool; the paths come in item order.
        Files are named by ``name`` (a template of the item's values, ``"{seed}-{cfg_scale}-{node}"``,
        kept as :attr:`name`; default ``<item_id>-<node>-<swept values>``), never overwriting a file
        already there, and each gets a ``<file>.json`` sidecar (values, ids, server version, models,
        timings) unless :attr:`sidecars` is false."""
        if name is not None:
            self.name = name
        results = self.results if self.results is not None else self.wait(monitor=monitor)
        with self.timings.stage("download"):
            done = list(self.client.downloads.map(lambda r: self._download_one(r, out_dir), results))
        if self.journal is not None:
            self.journal.downloads_done(self.batch_id, out_dir)
        return [path for paths in done for path in paths]

    def values_of(self, item_id: int) -> dict[str, Any]:
        """The values that made item ``item_id`` (by friendly name; the set ones when not known)."""
        return dict(self.item_values.get(int(item_id), self.values))

    def _download_one(self, result: ItemResult, out_dir: str | os.PathLike[str], prefetched: Lookup | None = None,
                      ) -> list[Path]:
        return self.files.download(result, out_dir, prefetched)

    def grid(self, x: str | None = None, y: str | None = None, z: str | None = None, *,
             title: str | None = None, cell_size: int | tuple[int, int] | None = None) -> Grid:
        """The results as an X/Y/Z grid, one page per ``z`` value, legends on both axes, failed
        cells marked (shown inline in Jupyter; ``.save("grid.png")``). Axes: the values' names,
        by default the swept ones (models outermost)."""
        from invokekit.client._grid import job_grid

        return job_grid(self, x, y, z, title=title, cell_size=cell_size)

    @property
    def images(self) -> list[ImageRef]:
        """Every output image of every item (after ``wait``), in item order."""
        return [ref for r in self.results or [] for ref in r.images]


__all__ = ["Job"]
