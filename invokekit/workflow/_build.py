"""Building a :class:`Batch`: from API JSON (copied), and from a Workflow (the one conversion of a
submission, its sweeps, its value checks).

The workflow dict is converted exactly once per batch (:class:`Converter`, InvokeAI's
``buildNodesGraph`` twin); sweeps are turned into batch data by friendly name first (the swept
places take their first value, so a random seed edge is replaced as a set value would replace it);
the values the user set are checked against the server's schema. A strict build raises the first
problem (what ``to_batch`` does); otherwise the problems stay on the batch for the pre-flight
check, which then reports all of them at once.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from invokekit.errors import ParameterError, WorkflowError
from invokekit.media._fields import media_sweep
from invokekit.workflow._api_json import BatchDatum, api_kind, datum, editor_labels, shape_problem
from invokekit.workflow._batch import Batch
from invokekit.workflow._context import ServerContext
from invokekit.workflow._convert import Converter, check_batch_sizes, embedded_workflow
from invokekit.workflow._load import too_deep
from invokekit.workflow._nodes import Place, is_invocation, node_title
from invokekit.workflow._params import resolve_name
from invokekit.workflow._setting import check_value
from invokekit.workflow._values import check_schema

if TYPE_CHECKING:
    from invokekit.explore._sweep import Kind
    from invokekit.workflow._workflow import Workflow

log = logging.getLogger("invokekit.workflow")


def convert_graph(wf: Workflow, context: ServerContext | None, board: Any = None,
                  errors: list[WorkflowError] | None = None) -> tuple[dict[str, Any], Converter]:
    """The API graph of ``wf`` and the converter that made it (its warnings, batch data, boards)."""
    if errors is None:
        wf._load_report.raise_if_blocked()  # as InvokeAI's Invoke button refuses a node it cannot run
    else:
        errors.extend(WorkflowError(n.message, file=wf.file, node_id=n.node_id, node_label=n.node_label, field=n.field)
                      for n in wf._load_report.blocked)
    conv = Converter(wf._raw, file=wf.file, context=context, auto_board=board, model_types=wf._model_types,
                     errors=errors)
    graph = conv.graph()
    wf.warnings = wf._load_report.warning_lines() + conv.warnings
    for message in conv.warnings:
        log.info("%s: %s", wf.name, message)  # kept in .warnings; the CLI prints them
    if context is not None and context.schema is not None:
        _check_user_values(wf, graph, context, errors)
    return graph, conv


def _check_user_values(wf: Workflow, graph: dict[str, Any], context: ServerContext,
                       errors: list[WorkflowError] | None) -> None:
    failed = {(e.node_id, e.field) for e in errors or []}  # a value conversion could not resolve is reported
    for (node_id, field), name in wf._user_set.items():
        node = graph["nodes"].get(node_id)
        prop = context.input_schema(node["type"], field) if node else None
        if node is None or prop is None or field not in node or (node_id, field) in failed:
            continue
        problem = check_schema(node[field], prop, context)
        if problem:
            exc = ParameterError(f"{name}: {problem}", file=wf.file, node_id=node_id,
                                 node_label=wf.node_label(node_id), field=field)
            if errors is None:
                raise exc
            errors.append(exc)


def check_schema_value(wf: Workflow, name: str, value: Any, places: list[Place], context: ServerContext | None) -> None:
    """Raise if ``value`` does not fit the schema of one of ``places`` (nothing to check offline)."""
    if context is None or context.schema is None:
        return
    nodes = wf._state()[0].nodes
    for place in places:
        prop = context.input_schema(nodes[place.node_id]["data"]["type"], place.field)
        problem = check_schema(value, prop, context) if prop else None
        if problem:
            raise ParameterError(f"{name}: {problem}", file=wf.file, node_id=place.node_id,
                                 node_label=wf.node_label(place.node_id), field=place.field)


def sweep_data(wf: Workflow, sweep: Mapping[str, Sequence[Any]], context: ServerContext | None,
               zipped: Sequence[Mapping[str, Sequence[Any]]] = ()) -> list[list[BatchDatum]]:
    """Batch data for ``sweep`` (friendly names) and the ``zipped`` groups; each swept place of
    ``wf`` takes the first value.

    An alias with several places zips them, and so do the names of one zipped group; different
    sweeps multiply. Models and boards cannot be swept (InvokeAI's batch data holds strings,
    numbers and images).
    """
    data: list[list[BatchDatum]] = []
    for group in [{name: values} for name, values in sweep.items()] + [dict(z) for z in zipped]:
        inner: list[BatchDatum] = []
        for name, values in group.items():
            inner += _swept_places(wf, name, values, context)
        if len({len(d["items"]) for d in inner}) > 1:
            raise ParameterError(f"zipped sweeps must have equally many values: {sorted(group)}", file=wf.file)
        data.append(inner)
    return data


def _swept_places(wf: Workflow, name: str, values: Sequence[Any], context: ServerContext | None) -> list[BatchDatum]:
    places, alias = resolve_name(name, wf.parameters, wf._state()[1], wf.file)
    values = media_sweep(wf, values, places)  # a folder or glob of images: its files
    if not isinstance(values, list | tuple) or not values:
        raise ParameterError(f"sweep {name!r} needs a non-empty list of values", file=wf.file, field=name)
    unsweepable = alias == "board" or any(p.field == "board" for p in places) or bool(
        check_value(wf, name, values[0], places, alias))
    for value in values:
        check_value(wf, name, value, places, alias)
        if unsweepable or (isinstance(value, dict) and not {"image_name", "video_name"} & value.keys()):
            raise ParameterError(f"sweep {name!r}: models and boards cannot be swept in one batch (InvokeAI "
                                 "batch data holds strings, numbers and images); submit one per value",
                                 file=wf.file, field=name)
        check_schema_value(wf, name, value, places, context)
    wf.set({name: values[0]})
    return [datum(p.node_id, p.field, list(values)) for p in places]


def sweep_kind(source: Workflow | Batch, name: str, context: ServerContext | None) -> tuple[Kind | None, Any]:
    """What parameter ``name`` of ``source`` takes (for typing a sweep's text) and its current value."""
    from invokekit.explore._sweep import kind_for_schema
    from invokekit.workflow._workflow import Workflow

    if isinstance(source, Workflow):
        node_id, field = source.places(name)[0]
        node = source._state()[0].nodes[node_id]["data"]
        node_type, current = node["type"], node["inputs"][field].get("value")
    else:
        node_id, field = source._place(name)
        node_type, current = source.graph["nodes"][node_id].get("type"), source.graph["nodes"][node_id].get(field)
    prop = context.input_schema(node_type, field) if context is not None and context.schema is not None else None
    return kind_for_schema(prop), current


def batch_of(source: Batch | Workflow | Mapping[str, Any], *, context: ServerContext | None, runs: int | None,
             sweep: Mapping[str, Sequence[Any]] | None, board: Any, file: str | None, strict: bool,
             zipped: Sequence[Mapping[str, Sequence[Any]]] = (), owned: bool = False) -> Batch:
    """:meth:`Batch.of`: a workflow (or workflow JSON) is converted; API JSON and batches are copied
    (a batch no one else holds, ``owned``, is used as it is)."""
    from invokekit.workflow._workflow import Workflow

    if isinstance(source, Mapping) and api_kind(source) is None and isinstance(source.get("nodes"), list):
        source = Workflow.load(dict(source), context=context)
    if isinstance(source, Workflow):
        return build_batch(source, context, runs=1 if runs is None else runs, sweep=sweep, board=board, strict=strict,
                           zipped=zipped)
    if isinstance(source, Batch):
        batch = source if owned else source.copy()
    elif isinstance(source, Mapping) and api_kind(source) is not None:
        batch = _from_api_json(source, file)
    else:
        raise WorkflowError(f"cannot submit a {type(source).__name__}: expected a Workflow, a graph or a batch dict",
                            file=file)
    batch.context = context if context is not None else batch.context
    if runs is not None:
        batch.runs = runs
    for key, values in (sweep or {}).items():
        batch.sweep(key, values)
    for group in zipped:
        batch.sweep(group)
    if board is not None:
        batch.set_board(board)
    return batch


def _from_api_json(source: Mapping[str, Any], file: str | None) -> Batch:
    kind = api_kind(source)
    body = source["batch"] if kind == "body" else source if kind == "batch" else {"graph": source}
    if not isinstance(body.get("graph"), Mapping):
        raise WorkflowError("the enqueue request's batch holds no graph", file=file)
    too_deep(body, file)
    wrong = shape_problem(body)
    if wrong is not None:
        raise WorkflowError(wrong[1], file=file, node_id=wrong[0])
    batch = Batch(body["graph"], data=body.get("data") or (), file=file, labels=editor_labels(body.get("workflow")))
    extra = {k: v for k, v in body.items() if k not in ("graph", "data", "batch_id")}
    batch._body.update(copy.deepcopy(extra))  # runs, origin, destination, workflow, and what else it holds
    batch.runs = batch._body["runs"]
    batch.prepend = bool(source.get("prepend")) if kind == "body" else False
    return batch


def build_batch(wf: Workflow, context: ServerContext | None = None, *, runs: int = 1,
                sweep: Mapping[str, Sequence[Any]] | None = None, board: Any = None, strict: bool = True,
                zipped: Sequence[Mapping[str, Sequence[Any]]] = ()) -> Batch:
    """The batch of ``wf`` (see the module docs); ``wf`` itself is left as it is."""
    context = context if context is not None else wf.context
    batch = Batch(runs=runs, origin="workflows", destination="gallery", file=wf.file, context=context)
    work = wf.copy() if sweep or zipped else wf
    swept = sweep_data(work, sweep or {}, context, zipped)
    errors: list[WorkflowError] | None = None if strict else []
    graph, conv = convert_graph(work, context, board, errors)
    data: list[list[Any]] = []
    try:
        data = conv.batch_data() + swept
        check_batch_sizes(data, wf.file)
    except WorkflowError as exc:
        if errors is None:
            raise
        errors.append(exc)
    # the converter's fresh dicts are the batch's own (no copy: this is every submission's path)
    batch._body.update(graph=graph, workflow=embedded_workflow(work._raw), data=data)
    batch.labels = {n["id"]: node_title(n) for n in work._raw["nodes"] if is_invocation(n)}
    batch.errors, batch.warnings = errors or [], list(work.warnings)
    batch._output_nodes = work.output_nodes
    for (node_id, field), name in work._user_set.items():
        batch.value_places.setdefault(name, []).append((node_id, field))
    batch.swept = [*(sweep or {}), *(name for group in zipped for name in group)]
    batch._auto_board_nodes = list(conv.auto_board_nodes)
    return batch

__all__ = ["batch_of", "build_batch", "check_schema_value", "convert_graph", "sweep_data", "sweep_kind"]
