"""Resuming a run journal: a job for every batch it holds that is not finished.

The journal knows what a crashed process knew (see :mod:`invokekit.results._journal`), so a
batch is picked up where it was left: found on the server by its batch id when its enqueue answer
was never seen; taken from the journal alone when every item was seen finished (the images are
then fetched by name, even if the server has pruned the items); files already stored intact are
not fetched again. A batch the server does not have at all (its submission failed, or never got
there) is not skipped in silence: it comes last, as a job whose ``wait`` (and ``as_completed``)
says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from invokekit.api._secrets import split_credentials
from invokekit.client._job import Job
from invokekit.errors import JobError
from invokekit.results import ItemResult, Journal, read_journal

if TYPE_CHECKING:
    from invokekit.client._client import Client


def resume_jobs(client: Client, journal: str | os.PathLike[str] | Journal, *, any_server: bool = False) -> list[Job]:
    """The jobs of :meth:`Client.resume` (see there)."""
    log = journal if isinstance(journal, Journal) else Journal(journal)
    jobs: list[Job] = []
    lost: list[Job] = []
    for entry in read_journal(log.path):
        elsewhere = bool(entry.url) and split_credentials(str(entry.url).rstrip("/"))[0] != client.url
        if entry.downloads_done or (elsewhere and not any_server):
            continue
        job = client.job(
            entry.batch_id,
            queue_id=entry.queue_id,
            item_ids=entry.item_ids,
            output_nodes=entry.output_nodes,
            labels=entry.labels,
            journal=log,
        )
        job.places, job.values, job.swept = entry.places, entry.values, entry.swept  # type: ignore[assignment]
        job.item_values = dict(entry.item_values)
        if not job.item_ids:
            lost.append(NeverEnqueued(client, entry.batch_id, entry.queue_id, entry.error))
            continue
        if entry.item_ids is None:
            log.enqueued(entry.batch_id, job.item_ids, recovered=True)
        job.out_dir = entry.out_dir
        job.stored = dict(entry.stored)
        known = entry.results()
        if known is not None:
            job.results = known  # every item was seen finished: nothing to watch, the names are known
        jobs.append(job)
    return jobs + lost


class NeverEnqueued(Job):
    """A journaled batch that the server does not have: there is nothing to watch or download."""

    def __init__(self, client: Client, batch_id: str, queue_id: str, error: str | None) -> None:
        super().__init__(client, batch_id=batch_id, item_ids=[], queue_id=queue_id)
        why = f" (its submission failed: {error})" if error else ""
        self.reason = (
            f"batch {batch_id} never reached the server{why}; nothing of it can be resumed: submit the workflow again"
        )

    def wait(self, *args: Any, **kwargs: Any) -> list[ItemResult]:
        raise JobError(self.reason)

    def as_completed(self, *args: Any, **kwargs: Any) -> Iterator[ItemResult]:
        raise JobError(self.reason)  # at the call, not at the first item: there is none


__all__ = ["NeverEnqueued", "resume_jobs"]
