"""The exceptions invokekit raises, in one small hierarchy.

Every error carries the context a user needs to fix the problem (file, node, field, HTTP status,
queue item, log path) as attributes *and* in its message, so that a notebook traceback alone is
enough to act on. Catch :class:`InvokekitError` to handle all of them.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class InvokekitError(Exception):
    """Base class of every error invokekit raises on purpose."""


# --- workflows -------------------------------------------------------------------------------

#: how a workflow loaded from the server's library names its source (``file``): the prefix, then
#: the workflow's name
LIBRARY_PREFIX = "library:"
#: how many candidates a message lists (the closest first); ``.candidates`` keeps them all
SHOWN_CANDIDATES = 8


def _where(file: str | Path | None, node_id: str | None, node_label: str | None, field: str | None) -> str:
    parts: list[str] = []
    if file is not None:
        text = str(file)
        if text.startswith(LIBRARY_PREFIX):  # a workflow of the server's library, named by its name
            parts.append(f"library workflow {text[len(LIBRARY_PREFIX):]!r}")
        else:
            parts.append(f"file {text!r}")
    if node_id is not None:
        # people know a node by the label the editor shows; the id (often a uuid) comes second
        if node_label and node_label != node_id:
            parts.append(f"node {node_label!r} (id {node_id!r})")
        else:
            parts.append(f"node {node_id!r}")
    if field is not None:
        parts.append(f"field {field!r}")
    return ", ".join(parts)


class WorkflowError(InvokekitError, ValueError):
    """A workflow is malformed, or cannot be used as asked.

    ``file``, ``node_id``, ``node_label`` and ``field`` name the place at fault (any may be None).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        node_id: str | None = None,
        node_label: str | None = None,
        field: str | None = None,
    ) -> None:
        self.reason = message
        self.file = str(file) if file is not None else None
        self.node_id = node_id
        self.node_label = node_label
        self.field = field
        where = _where(file, node_id, node_label, field)
        super().__init__(f"{where}: {message}" if where else message)


class UnsupportedWorkflowVersion(WorkflowError):
    """The workflow's ``meta.version`` is not one invokekit knows how to read."""


class ParameterError(WorkflowError):
    """A parameter name is unknown or ambiguous, or its value is not allowed.

    ``candidates`` lists the names that would have been accepted (or that matched ambiguously).
    """

    def __init__(self, message: str, *, candidates: Sequence[str] = (), name: str | None = None, **where: Any) -> None:
        self.candidates = list(candidates)
        if name is not None and self.candidates:
            # the closest names first, so a typo's fix is the first thing the user reads
            close = difflib.get_close_matches(name, self.candidates, n=3, cutoff=0.6)
            close += [c for c in self.candidates if c.lower() == name.lower() and c not in close]
            if close:
                message += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
        if self.candidates:
            shown = _closest(name, self.candidates) if name is not None else self.candidates[:SHOWN_CANDIDATES]
            left = len(self.candidates) - len(shown)
            more = f" (+{left} more in .candidates)" if left else ""
            which = "closest candidates" if left and name is not None else "candidates"
            message = f"{message}; {which}: {', '.join(shown)}{more}"
        super().__init__(message, **where)


class MediaError(ParameterError):
    """A local image or video that cannot go where it was given (missing, unreadable, wrong kind)."""


def _closest(name: str, candidates: Sequence[str]) -> list[str]:
    """The :data:`SHOWN_CANDIDATES` candidates most like ``name`` (case aside), most alike first;
    ties keep the given order."""
    wanted = name.casefold()
    ranked = sorted(candidates, key=lambda c: -difflib.SequenceMatcher(None, wanted, c.casefold()).ratio())
    return ranked[:SHOWN_CANDIDATES]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a graph, found before it is sent."""

    node_id: str
    node_label: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        return f"{_where(None, self.node_id, self.node_label, self.field)}: {self.message}"


class GraphError(InvokekitError):
    """The graph is bad: found before sending it (:class:`PreflightError`) or by the server
    (:class:`GraphRejected`). ``problems`` names the nodes and fields at fault, either way."""

    problems: list[Problem]


def _problem_lines(problems: Sequence[Problem]) -> str:
    return "\n".join(f"  - {p}" for p in problems)


class PreflightError(GraphError, WorkflowError):
    """The converted graph would be rejected by the server; ``problems`` lists every reason."""

    def __init__(self, problems: Sequence[Problem], *, file: str | Path | None = None) -> None:
        self.problems = list(problems)
        lines = _problem_lines(self.problems)
        super().__init__(f"{len(self.problems)} problem(s) found before submitting:\n{lines}", file=file)


# --- talking to the server -------------------------------------------------------------------


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


__all__ = [
    "AuthenticationError",
    "DownloadError",
    "GraphError",
    "GraphRejected",
    "InvokekitError",
    "JobCanceled",
    "JobError",
    "JobFailed",
    "JobTimeout",
    "JournalError",
    "MediaError",
    "MonitorError",
    "MonitorUnavailable",
    "ParameterError",
    "PreflightError",
    "Problem",
    "QueueFull",
    "SandboxError",
    "ServerError",
    "ServerUnavailable",
    "UnsupportedWorkflowVersion",
    "WorkflowError",
]
