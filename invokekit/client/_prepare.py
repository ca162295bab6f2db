"""Everything a submission does before its POST, in one straight line: load, customize, convert, check.

``invokekit run``, notebooks, the panel and the benchmarks all come through here (by way of
:meth:`Client.submit` or :meth:`Client.prepare`), so a workflow is checked the same way whoever
sends it: against the server's schema, models and boards, converted once, and refused with every
problem listed before anything is sent.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit.errors import PreflightError
from invokekit.results import Timings
from invokekit.workflow import Batch, Workflow
from invokekit.workflow._api_json import api_kind
from invokekit.workflow._load import read_source
from invokekit.workflow._storable import graph_problems

if TYPE_CHECKING:
    from invokekit.client._client import Client

#: what can be submitted: a workflow, a built batch, API JSON (graph, batch, enqueue body) or
#: workflow JSON as a dict, or a path / library name (loaded by :func:`load_source`)
Source = Workflow | Batch | Mapping[str, Any] | str | os.PathLike[str]


def load_source(client: Client, source: str | os.PathLike[str] | Mapping[str, Any]) -> Workflow | Batch:
    """A workflow (file, dict, or library id/name) as a :class:`Workflow` with the client's context;
    a file or dict holding an API graph, a batch or an enqueue request body as a :class:`Batch`."""
    if isinstance(source, Mapping) or Path(source).is_file():
        raw, file = read_source(dict(source) if isinstance(source, Mapping) else Path(source))
        if api_kind(raw) is not None:
            return Batch.of(raw, file=file)
        # a dict we parsed ourselves needs no defensive copy
        return Workflow(raw, file=file, context=client.context(), _owned=not isinstance(source, Mapping))
    return Workflow.from_library(client, str(source))


def prepare_batch(
    client: Client,
    source: Source,
    *,
    runs: int = 1,
    sweep: Mapping[str, Sequence[Any]] | None = None,
    board: str | Mapping[str, str] | None = None,
    sets: Mapping[str, Any] | None = None,
    text: bool = False,
    check: bool | None = None,
    timings: Timings | None = None,
) -> Batch:
    """The checked batch for ``source``; see :meth:`Client.submit` for the arguments."""
    timings = timings if timings is not None else Timings()
    if isinstance(source, str | os.PathLike):
        with timings.stage("load"):
            source = load_source(client, source)
    elif not isinstance(source, Workflow | Batch):
        source = load_source(client, source)
    if sets:
        with timings.stage("customize"):
            source = source.copy()  # the caller's workflow or batch is left as it is
            for name, value in sets.items():
                source.set({name: source.value_from_text(name, value) if text else value})
    workflow = isinstance(source, Workflow)
    with timings.stage("convert"):
        check = workflow if check is None else check
        context = client.context() if workflow or board or check else None
        if sweep and text:
            sweep = {name: [source.value_from_text(name, v) for v in values] for name, values in sweep.items()}
        # the board is looked up once, against the server's list (read again when the cached one misses)
        if isinstance(board, str) and context is not None:
            board = {"board_id": context.board_id(board, where={"field": "board"})}
        batch = Batch.of(source, context=context, runs=runs if workflow or runs != 1 else None, sweep=sweep,
                         board=board, strict=not check)
        if check:
            batch.check(context)
        else:  # unchecked, yet never a value the server would store unreadable (or invalid JSON)
            unstorable = graph_problems(batch.graph, batch.data, batch.labels)
            if unstorable:
                raise PreflightError(unstorable, file=batch.file)
    return batch


__all__ = ["Source", "load_source", "prepare_batch"]
