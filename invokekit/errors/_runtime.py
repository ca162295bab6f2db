"""The errors of a run: the server (unreachable, refusing, full), a job, a monitor, a download, the
journal, the sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from invokekit.errors._input import GraphError, InvokekitError, Problem, _problem_lines


class ServerError(InvokekitError):
    """The server answered with an error status. ``status`` and ``detail`` come from the response."""

    def __init__(self, message: str, *, status: int | None = None, detail: Any = None, url: str | None = None) -> None:
        self.status = status
        self.detail = detail
        self.url = url
        super().__init__(message)


class ServerUnavailable(ServerError):
    """The server could not be reached (refused, timed out, went away, or answered 502/503/504).

    The message ends with what to do. ``cause`` keeps the low-level exception (requests/urllib3)
    for whoever needs it; it is not chained, so a traceback stays short.
    """

    def __init__(
        self,
        message: str,
        *,
        cause: BaseException | None = None,
        status: int | None = None,
        detail: Any = None,
        url: str | None = None,
    ) -> None:
        self.cause = cause
        super().__init__(message, status=status, detail=detail, url=url)


def unavailable_advice(server_url: str) -> str:
    """What to do when no InvokeAI answers at ``server_url``."""
    return f"Is InvokeAI running at {server_url}? Set --url or INVOKEAI_URL."


class QueueFull(ServerError):
    """The server's queue took fewer items than asked (its ``max_queue_size`` is reached).

    ``requested`` and ``enqueued`` are the server's counts; ``item_ids`` the items it did take
    (canceled again: a batch runs whole or not at all), ``batch_id`` the batch they belong to.
    """

    def __init__(self, message: str, *, requested: int, enqueued: int, item_ids: Sequence[int] = (),
                 batch_id: str | None = None, **kw: Any) -> None:
        self.requested = requested
        self.enqueued = enqueued
        self.item_ids = list(item_ids)
        self.batch_id = batch_id
        super().__init__(message, **kw)


class AuthenticationError(ServerError):
    """Login failed or the token was refused (HTTP 401/403)."""


class GraphRejected(GraphError, ServerError):
    """The server refused the graph (HTTP 422); ``problems`` names the nodes and fields at fault."""

    def __init__(self, message: str, *, problems: Sequence[Problem] = (), **kw: Any) -> None:
        self.problems = list(problems)
        if self.problems:
            message += "\n" + _problem_lines(self.problems)
        super().__init__(message, **kw)


# --- jobs --------------------------------------------------------------------------------------


class JobError(InvokekitError):
    """Something happened to a queue item. ``item_id`` names it."""

    def __init__(self, message: str, *, item_id: int | None = None) -> None:
        self.item_id = item_id
        super().__init__(message)


class JobFailed(JobError):
    """The server ran the item and it failed; the server's own error fields are attached."""

    def __init__(
        self,
        *,
        item_id: int | None,
        error_type: str | None,
        error_message: str | None,
        error_traceback: str | None = None,
    ) -> None:
        self.error_type = error_type
        self.error_message = error_message
        self.error_traceback = error_traceback
        super().__init__(f"queue item {item_id} failed: {error_type}: {error_message}", item_id=item_id)


class JobCanceled(JobError):
    """The item was canceled (by a user, or by a server restart)."""


class JobTimeout(JobError, TimeoutError):
    """Waiting for an item took longer than the caller allowed."""


class MonitorError(InvokekitError):
    """A monitor backend cannot work (DB missing or locked, schema differs, socket lost)."""

    def __init__(self, message: str, *, backend: str | None = None) -> None:
        self.backend = backend
        super().__init__(f"{backend} monitor: {message}" if backend else message)


class MonitorUnavailable(MonitorError):
    """The monitor asked for cannot work with this server (``db`` without a usable database of it).

    Raised before anything is submitted (:meth:`Client.monitor_for`); the message says why and what
    to pass instead. Bad input, like a graph the pre-flight check refuses: the CLI exits with 2.
    """


class DownloadError(InvokekitError):
    """An image could not be downloaded and stored safely; nothing was written."""

    def __init__(self, message: str, *, image_name: str | None = None, path: str | Path | None = None) -> None:
        self.image_name = image_name
        self.path = str(path) if path is not None else None
        super().__init__(f"image {image_name!r}: {message}" if image_name else message)


class JournalError(InvokekitError, ValueError):
    """A run journal cannot be read: missing, not text, or not an invokekit journal. ``path`` names
    it; ``line`` the record at fault, when one is."""

    def __init__(self, message: str, *, path: str | Path, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        where = f"journal {self.path!r}" + (f", line {line}" if line is not None else "")
        super().__init__(f"{where}: {message}")


# --- the sandbox -------------------------------------------------------------------------------


class SandboxError(InvokekitError):
    """The local sandbox server could not be installed, started or stopped.

    ``log_path`` points at the full log; ``log_tail`` holds its last lines when they explain it.
    """

    def __init__(self, message: str, *, log_path: str | Path | None = None, log_tail: str | None = None) -> None:
        self.log_path = str(log_path) if log_path is not None else None
        self.log_tail = log_tail
        if log_path is not None:
            message += f"\nfull log: {log_path}"
        if log_tail:
            message += f"\n--- last lines of the log ---\n{log_tail}"
        super().__init__(message)
