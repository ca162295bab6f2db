"""The entry point for code: one :class:`Client` per server, one HTTP session underneath."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

from invokekit.api import (
    DEFAULT_URL,
    App,
    Auth,
    Boards,
    Images,
    Models,
    Queue,
    StylePresets,
    Transport,
    Utilities,
    Videos,
    Workflows,
)
from invokekit.client._dbpath import DatabaseMethods
from invokekit.client._env import client_from_env, server_url
from invokekit.client._job import Job
from invokekit.client._resume import resume_jobs
from invokekit.client._submit import check_batch_items, find_batch_items, send_batch
from invokekit.client._warm import warm_up as start_warm_up
from invokekit.errors import AuthenticationError, ServerError
from invokekit.results import Journal, Timings

if TYPE_CHECKING:  # imported when used: converting workflows is not needed to watch or download
    from concurrent.futures import ThreadPoolExecutor

    from invokekit.client._prepare import ExploreOptions, Source
    from invokekit.monitors import EventHub
    from invokekit.sandbox import Sandbox
    from invokekit.workflow import Batch, ServerContext, Workflow


class Client(DatabaseMethods):
    """Talk to one InvokeAI server.

    ``url`` defaults to ``$INVOKEAI_URL``, else ``http://127.0.0.1:9090``; :meth:`from_env` is the
    usual way in (the URL, token and database from the environment, else the local sandbox). A
    ``user:password@`` in the URL is sent as basic auth and never shown (``url`` is kept without it).
    ``token`` is a JWT for a multi-user server (or call :meth:`login`). ``db_path`` is the server's
    ``invokeai.db`` for the read-only database monitor: ``"auto"`` finds it when the server runs on
    this machine, a path names it, None turns it off; either way it is used only once proven to be
    this server's (see :meth:`database`). All namespaces share one :class:`Transport`, so
    connections are reused across calls, and every wait shares one socket.io connection
    (:attr:`events`, opened on first need). :meth:`close` (or ``with Client(...)``) closes both.
    ``warm_up`` imports what a first job needs in the background (:mod:`invokekit.client._warm`).
    """

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        timeout: float = 30.0,
        *,
        db_path: str | os.PathLike[str] | None = "auto",
        warm_up: bool = True,
    ) -> None:
        self.transport = Transport(server_url(url) or DEFAULT_URL, token=token, timeout=timeout)
        #: the server's URL, without any password: safe to print, journal and compare
        self.url = self.transport.base_url
        self._db_setting, self._database = db_path, None
        self.models = Models(self.transport)
        self.workflows = Workflows(self.transport)
        self.boards = Boards(self.transport)
        self.images = Images(self.transport)
        self.videos = Videos(self.transport)
        self.queue = Queue(self.transport)
        self.app = App(self.transport)
        self.auth = Auth(self.transport)
        self.utilities = Utilities(self.transport)
        self.style_presets = StylePresets(self.transport)
        self._context: ServerContext | None = None
        self._events: EventHub | None = None  # the socket.io connection, the download pool: on first need
        self._downloads: ThreadPoolExecutor | None = None
        if warm_up:  # the first job's imports, in the background, once per process
            start_warm_up()

    @classmethod
    def from_env(
        cls,
        url: str | None = None,
        *,
        token: str | None = None,
        db_path: str | os.PathLike[str] | None = "auto",
        sandbox: str | Sandbox | Callable[[], Sandbox] | None = None,
        timeout: float = 30.0,
    ) -> Client:
        """The client every entry point uses: ``url`` if given, else ``$INVOKEAI_URL`` (with
        ``$INVOKEAI_TOKEN`` and ``$INVOKEAI_DB``), else the local sandbox, started if needed.

        ``sandbox`` picks the sandbox when no URL is given: a name (default ``$INVOKEKIT_SANDBOX``,
        else "default"), a started :class:`~invokekit.sandbox.Sandbox`, or a function returning one.
        """
        return client_from_env(cls, url, token=token, db_path=db_path, sandbox=sandbox, timeout=timeout)

    def __repr__(self) -> str:
        return f"Client(url={self.url!r})"

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the event connection, the download pool and the HTTP session."""
        events, downloads, self._events, self._downloads = self._events, self._downloads, None, None
        if events is not None:
            events.close()
        if downloads is not None:
            downloads.shutdown(wait=True)
        self.transport.close()

    @property
    def events(self) -> EventHub:
        """The client's socket.io connection, shared by every wait; it connects on first use."""
        if self._events is None:
            from invokekit.monitors import EventHub

            self._events = EventHub(self.transport)
        return self._events

    @property
    def downloads(self) -> ThreadPoolExecutor:
        """The small pool downloads run on, so a sweep's images arrive while later items run."""
        if self._downloads is None:
            from concurrent.futures import ThreadPoolExecutor

            from invokekit.client._stream import DOWNLOAD_WORKERS

            self._downloads = ThreadPoolExecutor(DOWNLOAD_WORKERS, thread_name_prefix="invokekit-download")
        return self._downloads

    def login(self, email: str | None = None, password: str | None = None) -> str:
        """Log in to a multi-user server; the token is kept (never logged) for later requests, and
        returned (e.g. for ``$INVOKEAI_TOKEN``). ``email`` and ``password`` default to
        ``$INVOKEAI_EMAIL`` and ``$INVOKEAI_PASSWORD``."""
        email = email or os.environ.get("INVOKEAI_EMAIL")
        password = password or os.environ.get("INVOKEAI_PASSWORD")
        if not email or not password:
            missing = " and ".join(n for n, v in (("INVOKEAI_EMAIL", email), ("INVOKEAI_PASSWORD", password)) if not v)
            raise AuthenticationError(f"logging in to {self.url} needs an email and a password: set {missing}")
        self.auth.login(email, password)
        return str(self.transport.token)

    # --- server knowledge -----------------------------------------------------------------------

    def context(self, *, refresh: bool = False) -> ServerContext:
        """What converting and checking a workflow needs from the server (cached).

        A :class:`invokekit.workflow.ServerContext` with the OpenAPI schema, the installed models
        and the boards. The schema comes from the cache on disk when this kind of server (version
        and node packs) was seen before, so a new process pays no schema fetch;
        ``refresh`` fetches it again (see :mod:`invokekit.client._context_cache`).
        """
        if self._context is None or refresh:
            from invokekit.client._context_cache import cached_schema
            from invokekit.workflow import ServerContext

            self._context = ServerContext(
                schema=cached_schema(self.app, self.url, refresh=refresh),
                models=self.models.list(),
                boards=self.boards.list(),
                image_exists=self._image_exists,
                fetch_boards=self.boards.list,  # a board made after this is found (one lookup more)
            )
        return self._context

    def _image_exists(self, image_name: str) -> bool:
        """As the UI's ``checkImageAccess``: the server has a record of the image (loading resets others)."""
        try:
            self.images.dto(image_name)
        except ServerError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return False
            raise
        return True

    def workflow(self, source: str | os.PathLike[str] | Mapping[str, Any]) -> Workflow:
        """Load a workflow from a file, a dict, or the server's library (by id or name).

        The workflow gets this server's context, so form labels match what the UI shows and model
        names resolve without passing the context again.
        """
        from invokekit.workflow import Workflow

        if isinstance(source, Mapping) or Path(source).is_file():
            return Workflow.load(source, context=self.context())  # type: ignore[arg-type]
        return Workflow.from_library(self, str(source))

    # --- jobs -------------------------------------------------------------------------------------

    def workflow_from_image(self, path: str | os.PathLike[str]) -> Workflow | Batch:
        """The workflow (else the graph) embedded in an image InvokeAI made, with the values that made it."""
        from invokekit.client._prepare import load_image_source

        return load_image_source(self, path)

    def load(self, source: str | os.PathLike[str] | Mapping[str, Any]) -> Workflow | Batch:
        """What ``source`` holds: a workflow (file, dict, or library id/name) as a :class:`Workflow`;
        an API graph, a batch or an enqueue request body (a JSON file or a dict) as a :class:`Batch`."""
        from invokekit.client._prepare import load_source

        return load_source(self, source)

    def prepare(
        self,
        source: Source,
        runs: int = 1,
        sweep: Mapping[str, Sequence[Any] | str] | None = None,
        board: str | None = None,
        *,
        sets: Mapping[str, Any] | None = None,
        text: bool = False,
        check: bool | None = None,
        timings: Timings | None = None,
        **explore: Unpack[ExploreOptions],
    ) -> Batch:
        """The :class:`Batch` :meth:`submit` would send, checked, without sending it."""
        from invokekit.client._prepare import prepare_batch

        return prepare_batch(self, source, runs=runs, sweep=sweep, board=board, sets=sets, text=text, check=check,
                             timings=timings, **explore)

    def submit(
        self,
        source: Source,
        runs: int = 1,
        sweep: Mapping[str, Sequence[Any] | str] | None = None,
        board: str | None = None,
        queue_id: str = "default",
        prepend: bool = False,
        journal: str | os.PathLike[str] | Journal | None = None,
        *,
        sets: Mapping[str, Any] | None = None,
        text: bool = False,
        check: bool | None = None,
        timings: Timings | None = None,
        name: str | None = None,
        **explore: Unpack[ExploreOptions],
    ) -> Job:
        """Enqueue a workflow, a :class:`Batch`, an API graph or batch dict, as ONE batch, exactly once.

        ``source`` may also be a workflow file, a library id or name, or a JSON file of API JSON
        (see :meth:`load`). ``sets`` sets parameters first, on a copy (by friendly name for a
        workflow, ``"node_id.field"`` otherwise); with ``text=True`` the values of ``sets`` and
        ``sweep`` are command-line text, typed by the field they go to. ``sweep`` maps names to
        value lists; the server expands them (a product over names), so N variants are still one
        request; a value list may be sweep text (``"1-10 [5]"``, ``"@prompts.txt"``, ``"S/R:cat,dog"``).
        ``board`` (a name or an id) is looked up on the server once. ``zipped``, ``dynamic_prompts``,
        ``metadata``, ``style_preset``: see :class:`~invokekit.client._prepare.ExploreOptions`.

        Nothing is sent when the server would refuse the batch: a workflow is pre-flighted against
        the server's schema and models (:class:`PreflightError` listing every problem) unless
        ``check=False``; ``check=True`` pre-flights an API graph or batch too (else the server's own
        validation answers for it, as :class:`GraphRejected`). ``journal`` (a path or
        :class:`Journal`) records the submission before the POST, so a crashed process can be
        resumed. ``timings`` continues an existing :class:`Timings`. ``name``: the file name
        template of :meth:`Job.download` (``"{seed}-{cfg_scale}-{node}"``).
        """
        timings = timings or Timings()
        log = journal if isinstance(journal, Journal) or journal is None else Journal(journal)
        batch = self.prepare(source, runs, sweep, board, sets=sets, text=text, check=check, timings=timings, **explore)
        return send_batch(self, batch, journal=log, queue_id=queue_id, prepend=prepend, timings=timings, name=name)

    def job(self, batch_id: str, *, queue_id: str = "default", item_ids: Sequence[int] | None = None,
            output_nodes: Sequence[str] | None = None, labels: dict[str, str] | None = None,
            journal: Journal | None = None) -> Job:
        """Re-attach to a batch already on the server (item ids are looked up when not given; given
        ones must be that batch's there, else :class:`JobError`: never another batch's images)."""
        ids = (check_batch_items(self.queue, batch_id, list(item_ids), queue_id) if item_ids
               else find_batch_items(self.queue, batch_id, queue_id))
        return Job(self, batch_id=batch_id, item_ids=ids, queue_id=queue_id, output_nodes=output_nodes,
                   labels=labels, journal=journal)

    def resume(self, journal: str | os.PathLike[str] | Journal, *, any_server: bool = False) -> list[Job]:
        """Jobs for every batch of a run journal on this server whose downloads are not finished.

        For a crashed kernel or process: the journal was written before each POST, so even a batch
        whose enqueue answer was never seen is found on the server by its batch id. A batch whose
        items the journal saw finish is resumed from the journal alone (its images are fetched by
        name, even if the server has pruned the items since), and images the journal says are
        stored, intact, are not fetched again. Batches recorded for another URL are left out
        unless ``any_server`` (the server moved, e.g. a restarted sandbox on a new port). A batch
        that never reached the server comes last, as a job whose ``wait`` raises
        :class:`JobError` saying so. Call ``wait``/``download`` on the returned jobs. Raises
        :class:`JournalError` for a journal that is missing or unreadable.
        """
        return resume_jobs(self, journal, any_server=any_server)


__all__ = ["Client"]
