"""What a conversion may know about the server: its OpenAPI schema, its models, its boards.

Conversion works offline (everything ``None``); each piece that is present makes it stricter or
more helpful: the schema drops inputs the server does not define and drives the pre-flight check,
the model list turns ``model="tiny-sdxl"`` into the identifier a node needs, the board list turns
a board name into its id. The client builds one of these from the live server
(``client.context()``, which also gives it a way to read the board list again, so that a board
created after the context was cached is found); tests build one from the reference ``openapi.json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from invokekit.api._lookup import find_board
from invokekit.errors import ParameterError
from invokekit.workflow._templates import NodeTemplate, build_templates


@dataclass
class ServerContext:
    """The server facts conversion and pre-flight use; any part may be ``None`` (unknown)."""

    schema: dict[str, Any] | None = None
    models: list[dict[str, Any]] | None = None
    boards: list[dict[str, Any]] | None = None
    #: whether the server has an image of this name (loading resets images it lacks, as the UI does)
    image_exists: Callable[[str], bool] | None = field(default=None, repr=False, compare=False)
    #: reads the server's board list again (the client sets it); ``None`` offline
    fetch_boards: Callable[[], list[dict[str, Any]]] | None = field(default=None, repr=False, compare=False)
    _templates: dict[str, dict[str, Any]] | None = field(default=None, init=False, repr=False, compare=False)
    _node_templates: dict[str, NodeTemplate] | None = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_schema_file(cls, path: str | Path) -> ServerContext:
        """A context holding only the OpenAPI schema read from ``path`` (e.g. a saved openapi.json)."""
        return cls(schema=json.loads(Path(path).read_text(encoding="utf-8")))

    def board_id(self, value: str, *, where: Mapping[str, Any] | None = None) -> str:
        """The id of the board ``value`` (an id or a name) names: the one board resolver.

        Looked up in :attr:`boards`; when it is not there and the context can read the server's
        list again, that fresh list replaces the cached one and is asked once more, so a board
        made a second ago (in another cell, in the UI) is found. ``where`` names the field for errors.
        """
        if self.boards is None and self.fetch_boards is None:
            raise ParameterError(
                f"board {value!r} is given by name; resolving it needs the server's board list "
                "(pass context=client.context(), or give {'board_id': ...})",
                **dict(where or {}),
            )
        try:
            return str(find_board(self.boards or [], value, where=where)["board_id"])
        except ParameterError:
            if self.fetch_boards is None:
                raise
        self.boards = self.fetch_boards()
        return str(find_board(self.boards, value, where=where)["board_id"])

    @property
    def components(self) -> dict[str, Any]:
        """The schema's ``components.schemas`` (empty without a schema)."""
        if not self.schema:
            return {}
        comps = self.schema.get("components", {})
        return comps.get("schemas", {}) if isinstance(comps, dict) else {}

    def templates(self) -> dict[str, dict[str, Any]] | None:
        """Invocation component schemas by node type, or ``None`` when no schema is known.

        The node type is the ``const``/``default`` of each invocation's ``type`` property, exactly
        as InvokeAI's UI builds its node templates from the same document.
        """
        if self.schema is None:
            return None
        if self._templates is None:
            found: dict[str, dict[str, Any]] = {}
            for comp in self.components.values():
                if not isinstance(comp, dict) or comp.get("class") != "invocation":
                    continue
                type_prop = comp.get("properties", {}).get("type", {})
                node_type = type_prop.get("const") or type_prop.get("default")
                if isinstance(node_type, str):
                    found[node_type] = comp
            self._templates = found
        return self._templates

    def node_templates(self) -> dict[str, NodeTemplate] | None:
        """The node templates InvokeAI's UI builds from the schema (``None`` without a schema)."""
        if self.schema is None:
            return None
        if self._node_templates is None:
            self._node_templates = build_templates(self.schema)
        return self._node_templates

    def template(self, node_type: str) -> dict[str, Any] | None:
        """The component schema of ``node_type`` (``None`` if unknown or no schema)."""
        templates = self.templates()
        return None if templates is None else templates.get(node_type)

    def input_schema(self, node_type: str, field_name: str) -> dict[str, Any] | None:
        """The property schema of one input of ``node_type``, or ``None``."""
        tpl = self.template(node_type)
        if tpl is None:
            return None
        prop = tpl.get("properties", {}).get(field_name)
        return prop if isinstance(prop, dict) else None

    def output_fields(self, node_type: str) -> dict[str, Any] | None:
        """The output properties of ``node_type`` (from its ``output`` $ref), or ``None``."""
        tpl = self.template(node_type)
        if tpl is None:
            return None
        ref = tpl.get("output", {}).get("$ref") if isinstance(tpl.get("output"), dict) else None
        out = self.resolve_ref(ref) if isinstance(ref, str) else None
        if out is None:
            return None
        return {k: v for k, v in out.get("properties", {}).items() if k != "type"}

    def resolve_ref(self, ref: str) -> dict[str, Any] | None:
        """The component a local ``#/components/schemas/X`` reference points at."""
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            return None
        comp = self.components.get(ref[len(prefix) :])
        return comp if isinstance(comp, dict) else None
