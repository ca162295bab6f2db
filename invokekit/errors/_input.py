"""The errors of bad input: a workflow, a parameter, a graph that cannot be sent (the base class too).

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
