"""Output images fetched while their item is still finishing.

InvokeAI reports each node's output (``invocation_complete``, with the image's name and size) about
20 ms before it reports the item completed: it still writes the session and completes the item.
Fetching the image then, into a verified temporary file of the output folder
(:func:`~invokekit.results._fetch.fetch_part`), leaves the download only the atomic placing once
the item is done. Nothing is placed, named or journaled ahead: an item that ends otherwise (canceled
after that node, failed) leaves no file, as the temporary files not taken are removed.

A prefetch never fails a job: one that failed, or has not started when its image is wanted, is
simply not used (the download fetches the image itself), so waiting for one cannot deadlock the
pool both run on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Executor, Future
from pathlib import Path
from typing import TYPE_CHECKING

from invokekit.results._download import DOWNLOAD_DEADLINE, Prefetched, check_image_name
from invokekit.results._fetch import drop, fetch_part

if TYPE_CHECKING:
    from invokekit.api._transport import Transport

log = logging.getLogger("invokekit.results")


class Prefetcher:
    """Images of one output folder fetched ahead on ``pool``: :meth:`start` when an output is
    reported, :meth:`take` when its item is complete, :meth:`close` when the job's stream ends."""

    def __init__(self, transport: Transport, folder: Path, pool: Executor) -> None:
        self.transport = transport
        self.folder = folder
        self.pool = pool
        self.started = 0
        self.used = 0
        self._futures: dict[str, Future[Prefetched]] = {}
        self._lock = threading.Lock()
        self._closed = False

    def start(self, image_name: str, width: int | None, height: int | None) -> None:
        """Fetch ``image_name`` now (once); quick, so it may be called from the socket's thread."""
        try:
            check_image_name(image_name)  # an unsafe name is the download's to refuse, loudly
        except Exception:
            return
        with self._lock:
            if self._closed or image_name in self._futures:
                return
            self.started += 1
            self._futures[image_name] = self.pool.submit(self._fetch, image_name, width, height)

    def _fetch(self, image_name: str, width: int | None, height: int | None) -> Prefetched:
        self.folder.mkdir(parents=True, exist_ok=True)
        return fetch_part(self.transport, image_name, self.folder, width, height, None, DOWNLOAD_DEADLINE)

    def take(self, image_name: str, folder: Path) -> Prefetched | None:
        """The verified temporary file of ``image_name`` in ``folder``, now its caller's to place;
        None when there is none (never started, not started yet, failed, another folder)."""
        with self._lock:
            future = self._futures.pop(image_name, None)
        if future is None or folder != self.folder:
            if future is not None:
                future.add_done_callback(_drop_result)
            return None
        if future.cancel():  # still waiting in the pool's queue: the download fetches it itself
            return None
        try:
            prefetched = future.result()
        except (Exception, CancelledError) as exc:
            log.debug("prefetching %s failed (fetched again): %s", image_name, exc)
            return None
        self.used += 1
        return prefetched

    def close(self) -> None:
        """Remove the temporary files no download took (once their fetch ends); start no more."""
        with self._lock:
            self._closed = True
            left, self._futures = list(self._futures.values()), {}
        for future in left:
            future.cancel()
            future.add_done_callback(_drop_result)


def _drop_result(future: Future[Prefetched]) -> None:
    if not future.cancelled() and future.exception() is None:
        drop(future.result()[0])


#: what the stream gives :func:`~invokekit.results.download_result` to find prefetched images
Lookup = Callable[[str, Path], Prefetched | None]

__all__ = ["Lookup", "Prefetcher"]
