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
from typing import TYPE_CHECKING, Any, TypedDict

from invokekit.client._expand import dynamic_axes, with_style_preset
from invokekit.errors import PreflightError
from invokekit.explore import DynamicPrompts, parse_sweep, plan_sweeps
from invokekit.results import Timings
from invokekit.workflow import Batch, Workflow
from invokekit.workflow._api_json import api_kind
from invokekit.workflow._build import sweep_kind
from invokekit.workflow._context import ServerContext
from invokekit.workflow._from_image import source_from_image
from invokekit.workflow._load import read_source
from invokekit.workflow._metadata import add_metadata
from invokekit.workflow._storable import graph_problems

if TYPE_CHECKING:
    from invokekit.client._client import Client

#: what can be submitted: a workflow, a built batch, API JSON (graph, batch, enqueue body) or
#: workflow JSON as a dict, or a path / library name (loaded by :func:`load_source`)
Source = Workflow | Batch | Mapping[str, Any] | str | os.PathLike[str]
#: files read as images InvokeAI made (their embedded workflow or graph), not as JSON
IMAGE_SUFFIXES = (".png", ".webp", ".jpg", ".jpeg")
#: zipped sweeps: one group ``{name: values}`` (item i takes value i of each), or several groups
Zipped = Mapping[str, Sequence[Any] | str] | Sequence[Mapping[str, Sequence[Any] | str]]


class ExploreOptions(TypedDict, total=False):
    """The exploring options of :meth:`Client.submit` / :meth:`Client.prepare`."""

    #: groups of names whose values go in pairs (item i takes value i of each)
    zipped: Zipped
    #: expand ``{red|blue} cat`` prompts on the server into one more sweep axis
    dynamic_prompts: bool | DynamicPrompts
    #: add InvokeAI's ``core_metadata`` node, so images carry ``invokeai_metadata``
    metadata: bool
    #: wrap the prompts in the server's style preset of this name or id (its ``{prompt}`` template)
    style_preset: str | None


def load_source(client: Client, source: str | os.PathLike[str] | Mapping[str, Any]) -> Workflow | Batch:
    """A workflow (file, dict, or library id/name) as a :class:`Workflow` with the client's context;
    a file or dict holding an API graph, a batch or an enqueue request body as a :class:`Batch`;
    an image InvokeAI made (``.png``) as the workflow (else the graph) and values that made it."""
    if not isinstance(source, Mapping) and Path(source).suffix.lower() in IMAGE_SUFFIXES and Path(source).is_file():
        return load_image_source(client, source)
    if isinstance(source, Mapping) or Path(source).is_file():
        raw, file = read_source(dict(source) if isinstance(source, Mapping) else Path(source))
        if api_kind(raw) is not None:
            return Batch.of(raw, file=file)
        # a dict we parsed ourselves needs no defensive copy
        return Workflow(raw, file=file, context=client.context(), _owned=not isinstance(source, Mapping))
    return Workflow.from_library(client, str(source))


def load_image_source(client: Client, path: str | os.PathLike[str]) -> Workflow | Batch:
    """The workflow (else the graph) embedded in an image InvokeAI made, with the values that made it."""
    raw, kind = source_from_image(path)
    if kind == "graph":
        return Batch.of(raw, file=str(path))
    return Workflow(raw, file=str(path), context=client.context(), _owned=True)


def prepare_batch(
    client: Client,
    source: Source,
    *,
    runs: int = 1,
    sweep: Mapping[str, Sequence[Any] | str] | None = None,
    board: str | Mapping[str, str] | None = None,
    sets: Mapping[str, Any] | None = None,
    text: bool = False,
    check: bool | None = None,
    timings: Timings | None = None,
    zipped: Zipped = (),
    dynamic_prompts: bool | DynamicPrompts = False,
    metadata: bool = False,
    style_preset: str | None = None,
) -> Batch:
    """The checked batch for ``source``; see :meth:`Client.submit` for the arguments."""
    groups = [zipped] if isinstance(zipped, Mapping) else list(zipped)
    timings = timings if timings is not None else Timings()
    owned = not isinstance(source, Workflow | Batch)  # loaded here: no caller holds it, no copy needed
    if isinstance(source, str | os.PathLike):
        with timings.stage("load"):
            source = load_source(client, source)
    elif owned:
        source = load_source(client, source)
    if sets:
        with timings.stage("customize"):
            if not owned:
                source, owned = source.copy(), True  # the caller's workflow or batch is left as it is
            for name, value in sets.items():
                source.set({name: source.value_from_text(name, value) if text else value})
    workflow = isinstance(source, Workflow)
    with timings.stage("convert"):
        check = workflow if check is None else check
        context = client.context() if workflow or board or check else None
        if style_preset:
            source = with_style_preset(client, source, style_preset)
        if dynamic_prompts:  # {red|blue} cat: the server's expansion becomes one more sweep axis
            options = dynamic_prompts if isinstance(dynamic_prompts, DynamicPrompts) else DynamicPrompts()
            sweep = {**(sweep or {}), **dynamic_axes(client, source, sets or {}, options, sweep or {})}
        if sweep:
            sweep = {name: _axis(source, name, values, context, text) for name, values in sweep.items()}
        groups = [{name: _axis(source, name, values, context, text) for name, values in g.items()} for g in groups]
        plan_sweeps(sweep, groups, runs=runs)  # names swept once, zipped lists equally long, not too many items
        # the board is looked up once, against the server's list (read again when the cached one misses)
        if isinstance(board, str) and context is not None:
            board = {"board_id": context.board_id(board, where={"field": "board"})}
        batch = Batch.of(source, context=context, runs=runs if workflow or runs != 1 else None, sweep=sweep,
                         board=board, strict=not check, zipped=groups, _owned=owned)
        if metadata:  # what a workflow with InvokeAI's Metadata node does; otherwise the UI's graph as is
            add_metadata(batch, {**(source.aliases if workflow else {}), **batch.value_places}, context)
        if check:
            batch.check(context)
        else:  # unchecked, yet never a value the server would store unreadable (or invalid JSON)
            unstorable = graph_problems(batch.graph, batch.data, batch.labels)
            if unstorable:
                raise PreflightError(unstorable, file=batch.file)
    return batch


def _axis(source: Workflow | Batch, name: str, values: Sequence[Any] | str, context: ServerContext | None,
          text: bool) -> list[Any]:
    """A sweep axis as values: sweep syntax text (``1-10 [5]``, ``@prompts.txt``, ``S/R:cat,dog``;
    see :func:`~invokekit.explore.parse_sweep`) typed by the field's schema; a list as it is, or
    each item typed by the field with ``text=True``."""
    if isinstance(values, str):
        kind, current = sweep_kind(source, name, context)
        return parse_sweep(name, values, kind=kind, current=current if isinstance(current, str) else None)
    return [source.value_from_text(name, v) for v in values] if text else list(values)


__all__ = ["IMAGE_SUFFIXES", "ExploreOptions", "Source", "Zipped", "load_image_source", "load_source", "prepare_batch"]
