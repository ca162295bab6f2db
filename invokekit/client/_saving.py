"""How a job's downloads are saved: readable file names (explore's FileNamer), sidecars, the
journal's record of each file, and the item's videos.

One :class:`ResultFiles` per job: the names it gave (a second download of an image reuses its
name instead of taking ``-2``; another folder gets its own names, never overwriting a file there)
and the ``<file>.json`` sidecar of each image (values, ids, server version, models, timings).
Downloads run on a pool, so naming and the server-version lookup are done under a lock.
"""

from __future__ import annotations

import os
import threading
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from invokekit.errors import InvokekitError

if TYPE_CHECKING:
    from invokekit.client._job import Job
    from invokekit.explore import FileNamer
    from invokekit.results import ImageRef, ItemResult
    from invokekit.results._prefetch import Lookup


class ResultFiles:
    """The file names and sidecars of one job's downloads."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._namers: dict[str, FileNamer] = {}  # out folder -> its namer
        self._names: dict[tuple[str, str], str] = {}  # (folder, image name) -> file name given
        self._version: str | None = None
        self._lock = threading.Lock()

    def file_name(self, out_dir: str | os.PathLike[str], item: ItemResult, ref: ImageRef) -> str:
        """The file name of ``ref`` in ``out_dir`` (the same one when it is downloaded again)."""
        from invokekit.explore import FileNamer

        folder = os.fspath(out_dir)
        with self._lock:
            if (folder, ref.image_name) not in self._names:
                namer = self._namers.setdefault(folder, FileNamer(self.job.name, swept=self.job.swept, folder=folder))
                self._names[folder, ref.image_name] = namer.name(item.values, node=ref.node_label,
                                                                 item_id=item.item_id, batch_id=self.job.batch_id,
                                                                 index=self.job.indices.get(item.item_id))
            return self._names[folder, ref.image_name]

    def download(self, result: ItemResult, out_dir: str | os.PathLike[str], prefetched: Lookup | None = None,
                 ) -> list[Path]:
        """Download one item's images (those the journal has stored intact are kept, those
        ``prefetched`` has are placed) with their sidecars, each file journaled, then the videos
        its output nodes made."""
        from invokekit.results import download_result

        job, journal = self.job, self.job.journal

        def record(item: ItemResult, ref: ImageRef) -> None:
            if job.sidecars:
                self.write_sidecar(item, ref)
            if journal is not None:
                journal.downloaded(job.batch_id, item.item_id, ref.image_name, ref.path, width=ref.width,
                                   height=ref.height)

        paths = download_result(job.client.transport, result, out_dir, on_file=record, stored=job.stored,
                                filename=lambda item, ref: self.file_name(out_dir, item, ref), prefetched=prefetched)
        if result.videos:  # and the videos its output nodes made (checked, atomic, like images)
            from invokekit.media import download_video

            for i, video in enumerate(result.videos):
                result.videos[i] = replace(video, path=str(download_video(job.client.videos, video, out_dir)))
                paths.append(Path(str(result.videos[i].path)))
        return paths

    def write_sidecar(self, item: ItemResult, ref: ImageRef) -> None:
        """``<image>.json`` next to the downloaded ``ref``."""
        from invokekit.results import sidecar_record, write_sidecar
        from invokekit.results._values import models_of

        if ref.path is None:
            return
        with self._lock:
            if self._version is None:
                try:
                    self._version = self.job.client.app.known_version()
                except InvokekitError:
                    self._version = ""
        write_sidecar(ref.path, sidecar_record(item, ref, batch_id=self.job.batch_id,
                                               server_version=self._version or None,
                                               models=models_of(self.job.values)))


__all__ = ["ResultFiles"]
