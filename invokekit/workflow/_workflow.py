"""``Workflow``: a workflow file from InvokeAI's editor, its parameters, and its API graph.

The workflow dict stays the single source of truth: ``set`` writes values into it (as the
editor would), so the graph, the batch and the workflow embedded in the batch always agree.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit._files import write_text_atomic
from invokekit.errors import LIBRARY_PREFIX, ParameterError, PreflightError, Problem, WorkflowError
from invokekit.media._fields import media_value
from invokekit.workflow._aliases import ALIAS_MODEL_TYPE, EdgeIndex, alias_places
from invokekit.workflow._build import build_batch, check_schema_value, convert_graph
from invokekit.workflow._context import ServerContext
from invokekit.workflow._display import workflow_html
from invokekit.workflow._load import looks_like_path, read_source
from invokekit.workflow._loading import LoadReport, check_against_server, load_workflow
from invokekit.workflow._nodes import Place, is_executable, node_title
from invokekit.workflow._params import Parameter, list_parameters, resolve_name
from invokekit.workflow._resolve import is_model_field
from invokekit.workflow._setting import apply_value, check_value

if TYPE_CHECKING:  # the client package imports this one
    from invokekit.client import Client


class Workflow:
    """A validated workflow; see the module docs of :mod:`invokekit.workflow`."""

    def __init__(self, raw: dict[str, Any], *, file: str | None = None, context: ServerContext | None = None,
                 _owned: bool = False) -> None:
        self._context = context
        # a dict we parsed ourselves needs no defensive copy (half the cost of loading)
        self._raw, self._load_report = load_workflow(raw if _owned else copy.deepcopy(raw), file=file,
                                                     context=context)
        self.file = file
        #: what ``set`` changed beyond plain values (e.g. a random seed replaced), for people to read
        self.changes: list[str] = []
        #: warnings of the last conversion (fields the server does not define ...)
        self.warnings: list[str] = []
        self._user_set: dict[tuple[str, str], str] = {}
        #: places set to a model by name, with the model type the alias implies (``None``: any)
        self._model_types: dict[tuple[str, str], str | None] = {}
        self._cache: tuple[EdgeIndex, dict[str, list[Place]], list[Parameter]] | None = None

    # --- loading -------------------------------------------------------------------------------
    @classmethod
    def load(cls, source: str | Path | bytes | dict[str, Any], *, context: ServerContext | None = None) -> Workflow:
        """From a JSON file path, JSON bytes, or an already parsed dict (see :attr:`context`)."""
        raw, file = read_source(source)
        return cls(raw, file=file, context=context, _owned=not isinstance(source, dict))

    @classmethod
    def from_library(cls, client: Client, id_or_name: str) -> Workflow:
        """From the server's workflow library (``client.workflows.get``), by id or name.

        The client's :class:`ServerContext` becomes the workflow's :attr:`context`.
        """
        try:
            record = client.workflows.get(id_or_name)
        except ParameterError:
            if looks_like_path(id_or_name):  # a mistyped path, not a library name: say so
                folder = Path(id_or_name).is_dir()
                raise WorkflowError("is a folder, not a workflow file" if folder else
                                    "no such workflow file (nor a library workflow of that name)",
                                    file=id_or_name) from None
            raise
        raw = record.get("workflow", record) if isinstance(record, dict) else record
        if not isinstance(raw, dict):
            raise WorkflowError(f"the library returned no workflow for {id_or_name!r}")
        return cls(raw, file=f"{LIBRARY_PREFIX}{raw.get('name') or id_or_name}", context=client.context())

    @property
    def context(self) -> ServerContext | None:
        """The server facts used when a method is given no ``context``; with a schema, parameters
        carry the titles InvokeAI's form shows (e.g. "VAE" for ``vae_model``) and match by them."""
        return self._context

    @context.setter
    def context(self, value: ServerContext | None) -> None:
        self._context = value
        self._cache = None
        check_against_server(self._raw, self._load_report, value)  # the load-time checks, once a schema is known

    @property
    def load_report(self) -> LoadReport:
        """What loading migrated, dropped, updated and reset, as InvokeAI's UI does when it opens the file."""
        return self._load_report

    def copy(self) -> Workflow:
        """An independent copy (values set later on one do not affect the other)."""
        twin = Workflow.__new__(Workflow)
        twin.__dict__.update(self.__dict__)
        twin._raw = copy.deepcopy(self._raw)
        twin._load_report = copy.deepcopy(self._load_report)
        twin.changes, twin.warnings = list(self.changes), list(self.warnings)
        twin._user_set, twin._model_types = dict(self._user_set), dict(self._model_types)
        twin._cache = None
        return twin

    def to_dict(self) -> dict[str, Any]:
        """The workflow JSON, with every value set so far."""
        return copy.deepcopy(self._raw)

    # --- inspection ----------------------------------------------------------------------------
    @property
    def name(self) -> str:
        name = self._raw.get("name")
        return name if isinstance(name, str) and name else Path(self.file or "workflow").stem

    @property
    def version(self) -> str:
        return str(self._raw["meta"]["version"])

    def _state(self) -> tuple[EdgeIndex, dict[str, list[Place]], list[Parameter]]:
        if self._cache is None:
            index = EdgeIndex(self._raw)
            aliases = alias_places(self._raw, index)
            self._cache = (index, aliases, list_parameters(self._raw, index, aliases, self._context))
        return self._cache

    @property
    def parameters(self) -> list[Parameter]:
        """Every input of every invocation node (see :class:`Parameter`)."""
        return list(self._state()[2])

    @property
    def aliases(self) -> dict[str, list[tuple[str, str]]]:
        """Each alias with the (node id, field) places it sets here."""
        return {a: [p.key for p in places] for a, places in self._state()[1].items()}

    def node_label(self, node_id: str) -> str:
        """The node's label as the editor shows it (its type when it has none)."""
        node = self._state()[0].nodes.get(node_id)
        if node is None:
            raise WorkflowError("no such node in this workflow", file=self.file, node_id=node_id)
        return node_title(node)

    @property
    def output_nodes(self) -> list[str]:
        """Ids of the nodes whose images are the workflow's results.

        As in InvokeAI's gallery: executable nodes that are not intermediate and save what they
        make (image-saving invocations are exactly the ones with a ``board`` input).
        """
        return [n["id"] for n in self._raw["nodes"] if is_executable(n) and n["data"].get("isIntermediate") is False
                and "board" in n["data"]["inputs"]]

    # --- setting -------------------------------------------------------------------------------
    def set(self, values: Mapping[str, Any] | None = None, /, **kw: Any) -> Workflow:
        """Set parameters by form label, ``node-label.field``, ``node-id.field`` or alias; returns self."""
        for name, value in {**(values or {}), **kw}.items():
            places, alias = resolve_name(name, self._state()[2], self._state()[1], self.file)
            value = media_value(self, value, places)  # a local file, PIL image, array, bytes: checked here
            models = check_value(self, name, value, places, alias)
            for place in places:
                apply_value(self, name, place, value)
                if place.key in models:
                    self._model_types[place.key] = ALIAS_MODEL_TYPE.get(alias or "")
                else:
                    self._model_types.pop(place.key, None)
            self._cache = None
        return self

    def apply(self, preset: str | os.PathLike[str] | Mapping[str, Any]) -> Workflow:
        """Set a preset's values (a saved preset's name or TOML file, or a mapping), each typed by the
        field it goes to as ``--set`` types its text (``6`` or ``"6"``: 6 for a number, "6" for a
        prompt), so a preset means the same here and in ``invokekit run --preset``; returns self."""
        from invokekit.explore import load_preset

        values = load_preset(preset) if isinstance(preset, str | os.PathLike) else preset
        return self.set({k: self.value_from_text(k, v if isinstance(v, str) else json.dumps(v))
                         for k, v in values.items()})

    def set_text(self, name: str, text: str) -> Workflow:
        """Set from text (command lines), typed by :meth:`value_from_text`."""
        return self.set({name: self.value_from_text(name, text)})

    def value_from_text(self, name: str, text: str) -> Any:
        """What ``text`` means for parameter ``name``: the text itself where the field takes text
        (a prompt, a model or board name), else its JSON value when the field accepts that
        (``3``, ``7.5``, ``true``, ``{...}``), else the text if the field takes that instead."""
        places = self._places(name)
        nodes = self._state()[0].nodes
        currents = [nodes[p.node_id]["data"]["inputs"][p.field].get("value") for p in places]
        wants_text = any(isinstance(c, str) for c in currents) or any(
            is_model_field(p.field, None) or p.field == "board" for p in places)
        try:
            parsed = json.loads(text)
        except ValueError:
            return text
        if wants_text and not isinstance(parsed, dict):
            return text
        return text if not self.accepts(name, parsed) and self.accepts(name, text) else parsed

    def places(self, name: str) -> list[tuple[str, str]]:
        """The ``(node id, field)`` places ``name`` sets (an alias may set several)."""
        return [p.key for p in self._places(name)]

    def accepts(self, name: str, value: Any) -> bool:
        """Whether ``set(name=value)`` would take ``value`` (see :meth:`value_problem`)."""
        return self.value_problem(name, value) is None

    def value_problem(self, name: str, value: Any) -> ParameterError | None:
        """Why parameter ``name`` would refuse ``value`` (``None``: it takes it), without setting it.

        The value must be of the kind the field holds (a number, a model, a board ...) and, when
        the workflow's :attr:`context` has the server's schema, fit the field's schema (type, enum,
        bounds). An unknown name raises :class:`ParameterError`; it is not a property of the value.
        """
        places, alias = resolve_name(name, self._state()[2], self._state()[1], self.file)
        try:
            value = media_value(self, value, places)
            models = check_value(self, name, value, places, alias)
            # model and board names are resolved at conversion: the schema judges what they become
            plain = [p for p in places if p.key not in models and p.field != "board"]
            check_schema_value(self, name, value, plain, self._context)
        except ParameterError as exc:
            return exc
        return None

    def _places(self, name: str) -> list[Place]:
        return resolve_name(name, self._state()[2], self._state()[1], self.file)[0]

    # --- conversion ----------------------------------------------------------------------------
    def to_graph(self, context: ServerContext | None = None) -> dict[str, Any]:
        """The API graph ``{"id", "nodes", "edges"}`` InvokeAI's UI would enqueue for this workflow."""
        return convert_graph(self, context if context is not None else self._context)[0]

    def to_batch(self, context: ServerContext | None = None, runs: int = 1,
                 sweep: Mapping[str, list[Any]] | None = None, board: Any = None) -> dict[str, Any]:
        """The ``batch`` body of ``enqueue_batch`` (without ``batch_id``; the client adds it).

        ``sweep={"seed": [1, 2, 3]}`` adds one batch-data list per name (lists of different names
        multiply); an alias with several places zips them. ``board`` is where images go (a name,
        an id, or ``{"board_id": ...}``; it stands in for the UI's auto-add board). The same as
        ``Batch.of(wf, ...).to_dict()``.
        """
        return build_batch(self, context, runs=runs, sweep=sweep, board=board).to_dict()

    # --- pre-flight ----------------------------------------------------------------------------
    def preflight(self, context: ServerContext | None = None) -> list[Problem]:
        """Every problem the server would find (or fail on), without sending anything."""
        context = context if context is not None else self._context
        if context is None:
            raise WorkflowError("the pre-flight check needs the server's schema: pass context=client.context()",
                                file=self.file)
        return build_batch(self, context, strict=False).preflight(context)

    def check(self, context: ServerContext | None = None) -> None:
        """Raise :class:`PreflightError` listing every problem, if there is any."""
        problems = self.preflight(context)
        if problems:
            raise PreflightError(problems, file=self.file)

    def save(self, path: str | Path) -> Path:
        """Write the workflow JSON (with the values set) atomically, e.g. to open it in InvokeAI's editor."""
        return write_text_atomic(path, json.dumps(self._raw, indent=2, ensure_ascii=False) + "\n")

    def _repr_html_(self) -> str:
        return workflow_html(self)

    def __repr__(self) -> str:
        return f"Workflow({self.name!r}, version={self.version}, nodes={len(self._raw['nodes'])})"
