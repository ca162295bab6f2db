"""``Batch``: one ``enqueue_batch`` batch, built once from what the user has, edited, checked, sent once.

Whatever goes to the server passes through this object: a :class:`Workflow` (converted once, as
InvokeAI's UI does), an API graph ``{"nodes": {...}, "edges": [...]}``, a batch dict
``{"graph": ..., "data": ...}`` or a whole enqueue request body ``{"batch": ..., "prepend": ...}``.
Like InvokeAI's ``Graph`` class (frontend ``nodes/util/graph/generation/Graph.ts``) it is a small
pure builder over a typed graph (``add_node``, ``add_edge``), with what a submission needs on top:
setting a field (``node_id.field``), a sweep (batch data), the board of the output images, the
output nodes and node labels for the results, and the problems found while converting.

Friendly names (form labels, aliases) belong to the :class:`Workflow`: set them there before
building; on a built batch, names are ``node_id.field``.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from invokekit.errors import ParameterError, PreflightError, Problem, WorkflowError
from invokekit.workflow._api_json import ApiGraph, BatchDatum, Edge, datum, graph_output_nodes
from invokekit.workflow._context import ServerContext
from invokekit.workflow._preflight import preflight_graph
from invokekit.workflow._storable import value_problem as storable_problem

if TYPE_CHECKING:
    from invokekit.workflow._workflow import Workflow


class Batch:
    """One batch for ``enqueue_batch``; see the module docs. Editing methods return ``self``."""

    def __init__(self, graph: Mapping[str, Any] | None = None, *, data: Sequence[Sequence[Mapping[str, Any]]] = (),
                 runs: int = 1, origin: str = "invokekit", destination: str = "invokekit",
                 labels: Mapping[str, str] | None = None, file: str | None = None,
                 context: ServerContext | None = None) -> None:
        graph = copy.deepcopy(dict(graph or {}))
        graph.setdefault("id", str(uuid.uuid4()))
        graph.setdefault("nodes", {})
        graph.setdefault("edges", [])
        self._body: dict[str, Any] = {"graph": graph, "runs": 1, "origin": origin, "destination": destination}
        if data:
            self._body["data"] = copy.deepcopy([list(inner) for inner in data])
        #: the file it came from, for error messages
        self.file = file
        self.runs = runs
        #: node id -> what the user calls the node (its label in the editor)
        self.labels: dict[str, str] = dict(labels or {})
        #: the server facts it was built with (:meth:`preflight` and :meth:`set_board` use them)
        self.context = context
        #: sent with ``prepend`` (an enqueue request body may ask for it)
        self.prepend = False
        #: what went wrong while converting a workflow, when it was built without raising
        self.errors: list[WorkflowError] = []
        #: what the conversion left out or changed (fields the server does not define ...)
        self.warnings: list[str] = []
        #: friendly name -> the ``(node_id, field)`` inputs it was set or swept at (results' values)
        self.value_places: dict[str, list[tuple[str, str]]] = {}
        #: the names swept, in order (file names and grids show them)
        self.swept: list[str] = []
        self._output_nodes: list[str] | None = None
        self._auto_board_nodes: list[str] | None = None  # from a workflow: the nodes whose board is "auto"

    # --- building ------------------------------------------------------------------------------
    @classmethod
    def of(cls, source: Batch | Workflow | Mapping[str, Any], *, context: ServerContext | None = None,
           runs: int | None = None, sweep: Mapping[str, Sequence[Any]] | None = None,
           board: str | Mapping[str, str] | None = None, file: str | None = None, strict: bool = True,
           zipped: Sequence[Mapping[str, Sequence[Any]]] = (), _owned: bool = False) -> Batch:
        """The batch for any source (a copy when ``source`` is a Batch, unless ``_owned``: no one
        else holds it); each of ``zipped`` is one
        group of names whose values go in pairs (item i takes value i of each).

        ``sweep`` keys are friendly names for a Workflow, ``node_id.field`` otherwise; ``runs``
        (``None``: the source's own, else 1) repeats the whole batch. ``strict=False`` keeps a
        workflow's conversion problems in :attr:`errors` (for :meth:`preflight`) instead of raising.
        """
        from invokekit.workflow._build import batch_of

        return batch_of(source, context=context, runs=runs, sweep=sweep, board=board, file=file, strict=strict,
                        zipped=zipped, owned=_owned)

    def add_node(self, node_id: str, node_type: str, /, **inputs: Any) -> Batch:
        """Add node ``{"id": node_id, "type": node_type, **inputs}`` (``is_intermediate``/``use_cache``
        among them; the server's defaults are false and true)."""
        if node_id in self.graph["nodes"]:
            raise WorkflowError("a node with this id is already in the graph", node_id=node_id, file=self.file)
        self.graph["nodes"][node_id] = {"id": node_id, "type": node_type, **copy.deepcopy(inputs)}
        return self

    def add_edge(self, source: str, source_field: str, destination: str, destination_field: str) -> Batch:
        """Connect output ``source.source_field`` to input ``destination.destination_field``."""
        self.node(source)
        self.node(destination)
        edge: Edge = {"source": {"node_id": source, "field": source_field},
                      "destination": {"node_id": destination, "field": destination_field}}
        if edge in self.graph["edges"]:
            raise WorkflowError(f"edge {source}.{source_field} -> {destination}.{destination_field} already exists",
                                file=self.file)
        self.graph["edges"].append(edge)
        return self

    # --- editing -------------------------------------------------------------------------------
    def node(self, node_id: str) -> dict[str, Any]:
        """The graph node ``node_id`` (a live dict)."""
        node = self.graph["nodes"].get(node_id)
        if not isinstance(node, dict):
            raise ParameterError(f"no node {node_id!r} in this graph", candidates=self._node_names(), name=node_id,
                                 file=self.file)
        return node

    def _place(self, key: str) -> tuple[str, str]:
        node_id, _, field = str(key).rpartition(".")
        if not node_id or not field or node_id not in self.graph["nodes"]:
            raise ParameterError(f"unknown parameter {key!r} (a built batch takes node_id.field; friendly names "
                                 "are the Workflow's)", candidates=self._node_names(), file=self.file, field=str(key))
        return node_id, field

    def _node_names(self) -> list[str]:
        return [f"{n} ({self.labels[n]})" if n in self.labels else n for n in self.graph["nodes"]]

    def set(self, values: Mapping[str, Any] | None = None, /, **kw: Any) -> Batch:
        """Set inputs by ``"node_id.field"``: ``batch.set({"noise.seed": 3})``.

        On a batch built from a workflow this changes the graph only (the workflow embedded for
        the UI keeps its values): set friendly names on the :class:`Workflow`, before building.
        """
        for key, value in {**(values or {}), **kw}.items():
            node_id, field = self._place(key)
            self._check_storable(node_id, field, value)
            self.graph["nodes"][node_id][field] = copy.deepcopy(value)
            self.value_places.setdefault(str(key), [(node_id, field)])
        return self

    def _check_storable(self, node_id: str, field: str, value: Any) -> None:
        problem = storable_problem(value)
        if problem:
            raise ParameterError(problem, file=self.file, node_id=node_id, node_label=self.labels.get(node_id),
                                 field=field)

    def value_from_text(self, key: str, text: str) -> Any:
        """A command line's text as a value: JSON where it parses (``3``, ``true``, ``{...}``), else the text."""
        self._place(key)
        try:
            return json.loads(text)
        except ValueError:
            return text

    def set_text(self, key: str, text: str) -> Batch:
        return self.set({key: self.value_from_text(key, text)})

    def sweep(self, key: str | Mapping[str, Sequence[Any]], values: Sequence[Any] | None = None) -> Batch:
        """One queue item per value of input ``node_id.field`` (sweeps of different inputs multiply);
        ``key`` a mapping ``{"node_id.field": values, ...}``: one zipped group (item i takes value i of each)."""
        group = dict(key) if isinstance(key, Mapping) else {key: values}
        inner: list[BatchDatum] = []
        for name, items in group.items():
            node_id, field = self._place(name)
            if isinstance(items, str | bytes) or not isinstance(items, Sequence) or not items:
                raise ParameterError(f"sweep {name!r} needs a non-empty list of values", file=self.file,
                                     field=str(name))
            self._check_storable(node_id, field, list(items))
            inner.append(datum(node_id, field, copy.deepcopy(list(items))))
            self.value_places[str(name)], self.swept = [(node_id, field)], [*self.swept, str(name)]
        if len({len(d["items"]) for d in inner}) > 1:
            raise ParameterError(f"zipped sweeps must have equally many values: {sorted(group)}", file=self.file)
        self._body.setdefault("data", []).append(inner)
        return self

    def set_board(self, board: str | Mapping[str, str], context: ServerContext | None = None) -> Batch:
        """Send the output images to ``board`` (an id, a name, or ``{"board_id": ...}``).

        From a workflow: the nodes whose board is "auto", as in the UI. Otherwise every output node
        that takes a board (by the server's schema, or because it has a ``board`` already).
        """
        context = context if context is not None else self.context
        if isinstance(board, Mapping):
            ref = {"board_id": str(board["board_id"])}
        else:
            where = {"file": self.file, "field": "board"}
            ref = {"board_id": (context or ServerContext()).board_id(board, where=where)}
        if self._auto_board_nodes is not None:
            targets = self._auto_board_nodes
        else:
            takes_board = {t for t, tpl in ((context.templates() if context else None) or {}).items()
                           if "board" in (tpl.get("properties") or {})}
            targets = [n for n in self.output_nodes if self.graph["nodes"][n].get("type") in takes_board
                       or "board" in self.graph["nodes"][n]]
        for node_id in targets:
            self.graph["nodes"][node_id]["board"] = dict(ref)
        return self

    # --- what it holds ---------------------------------------------------------------------------
    @property
    def graph(self) -> ApiGraph:
        """The API graph (live: read it freely, change it through the methods)."""
        return self._body["graph"]  # type: ignore[no-any-return]

    @property
    def data(self) -> list[list[BatchDatum]]:
        return list(self._body.get("data") or [])

    @property
    def runs(self) -> int:
        return int(self._body["runs"])

    @runs.setter
    def runs(self, value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ParameterError(f"runs must be a whole number >= 1, got {value!r}", file=self.file)
        self._body["runs"] = value

    @property
    def destination(self) -> str:
        """Tags the queue items (a benchmark deletes its own by it)."""
        return str(self._body.get("destination"))

    @destination.setter
    def destination(self, value: str) -> None:
        self._body["destination"] = value

    @property
    def item_count(self) -> int:
        """How many queue items the server makes of it: runs times the product of the data lists."""
        count = self.runs
        for inner in self.data:
            count *= len(inner[0]["items"]) if inner else 1
        return count

    @property
    def output_nodes(self) -> list[str]:
        """Ids of the nodes whose images are the results (a workflow's saving nodes, else the
        graph's non-intermediate nodes)."""
        return list(self._output_nodes) if self._output_nodes is not None else graph_output_nodes(self.graph)

    def node_label(self, node_id: str) -> str:
        """The node's label (its id when it has none)."""
        return self.labels.get(node_id) or node_id

    @property
    def problems(self) -> list[Problem]:
        """The conversion's problems (see :attr:`errors`), each naming node and field."""
        return [Problem(e.node_id or "", e.node_label, e.field, e.reason) for e in self.errors]

    def preflight(self, context: ServerContext | None = None) -> list[Problem]:
        """Every problem the server would find (or fail on), without sending anything."""
        context = context if context is not None else self.context
        if context is None:
            raise WorkflowError("the pre-flight check needs the server's schema: pass context=client.context()",
                                file=self.file)
        problems = self.problems
        # a field conversion already reported (e.g. an unknown model name) is not reported again
        # by the schema check of the value it could not resolve
        reported = {(p.node_id, p.field) for p in problems}
        checked = preflight_graph(self.graph, context, self.labels, self.data)  # type: ignore[arg-type]
        return problems + [p for p in checked if (p.node_id, p.field) not in reported]

    def check(self, context: ServerContext | None = None) -> None:
        """Raise :class:`PreflightError` listing every problem, if there is any."""
        problems = self.preflight(context)
        if problems:
            raise PreflightError(problems, file=self.file)

    def raise_errors(self) -> Batch:
        """Raise the first conversion error, if any (what a strict build raises)."""
        if self.errors:
            raise self.errors[0]
        return self

    # --- out -----------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The ``batch`` of the enqueue request, without ``batch_id`` (the client picks it)."""
        return copy.deepcopy(self._body)

    def body(self, batch_id: str) -> dict[str, Any]:
        """The batch with its ``batch_id``, as it is POSTed (shares this object's dicts: not a copy)."""
        return {**self._body, "batch_id": batch_id}

    def copy(self) -> Batch:
        twin = Batch.__new__(Batch)
        twin.__dict__.update(self.__dict__)
        twin._body = copy.deepcopy(self._body)
        twin.labels, twin.errors, twin.warnings = dict(self.labels), list(self.errors), list(self.warnings)
        twin.value_places, twin.swept = {k: list(v) for k, v in self.value_places.items()}, list(self.swept)
        for name in ("_output_nodes", "_auto_board_nodes"):
            value = getattr(self, name)
            setattr(twin, name, list(value) if value is not None else None)
        return twin

    def __repr__(self) -> str:
        return f"Batch(nodes={len(self.graph['nodes'])}, items={self.item_count}, runs={self.runs})"


__all__ = ["Batch"]
