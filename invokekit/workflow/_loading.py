"""Loading a workflow the way InvokeAI's UI loads it (``validateWorkflow.ts``), and what it changed.

The stages, in the UI's order: the structure is checked (:mod:`._load`), an old schema is migrated
(:mod:`._migrate`), edges the UI would delete are dropped (:mod:`._edges`: without the server's
schema only edges to nodes that do not exist), then, when the server's schema is known, nodes are
updated to their template's version and foreign images, boards and models are reset
(:mod:`._update`), and form fields that no longer exist are removed. Everything that changed is
recorded in a :class:`LoadReport`; nothing is silently rewritten.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from invokekit.errors import Problem, WorkflowError
from invokekit.workflow._context import ServerContext
from invokekit.workflow._edges import edge_ends, keep_valid_edges
from invokekit.workflow._load import validate
from invokekit.workflow._migrate import migrate
from invokekit.workflow._nodes import is_invocation, node_title
from invokekit.workflow._update import Note, check_nodes

log = logging.getLogger("invokekit.workflow")
KINDS = ("blocked", "migrated", "dropped", "updated", "reset", "warning")


@dataclass(frozen=True)
class LoadNote:
    """One thing loading did or found: ``kind`` is one of :data:`KINDS` ("blocked": InvokeAI cannot run
    the node as it is, and converting the workflow refuses it)."""

    kind: str
    message: str
    node_id: str | None = None
    node_label: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = ""
        if self.node_id is not None:
            label = f" ({self.node_label!r})" if self.node_label and self.node_label != self.node_id else ""
            where = f"node {self.node_id!r}{label}" + (f", field {self.field!r}" if self.field else "") + ": "
        return where + self.message

    def to_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "message": self.message, "node_id": self.node_id, "node_label": self.node_label,
                "field": self.field}


@dataclass
class LoadReport:
    """What loading a workflow migrated, dropped, updated and reset (see :attr:`Workflow.load_report`).

    ``checked`` says whether the server's node templates were known, i.e. whether edges, node
    versions and assets were checked against a server (else only the file itself was read).
    """

    file: str | None
    source_version: str
    version: str
    checked: bool = False
    notes: list[LoadNote] = field(default_factory=list)

    def of(self, kind: str) -> list[LoadNote]:
        return [n for n in self.notes if n.kind == kind]

    @property
    def migrated(self) -> list[LoadNote]:
        return self.of("migrated")

    @property
    def dropped(self) -> list[LoadNote]:
        return self.of("dropped")

    @property
    def updated(self) -> list[LoadNote]:
        return self.of("updated")

    @property
    def reset(self) -> list[LoadNote]:
        return self.of("reset")

    @property
    def warnings(self) -> list[LoadNote]:
        return self.of("warning")

    @property
    def blocked(self) -> list[LoadNote]:
        return self.of("blocked")

    def warning_lines(self) -> list[str]:
        """What loading dropped, reset or warns of (shown with a conversion's own warnings)."""
        return [str(n) for n in self.notes if n.kind in ("dropped", "reset", "warning")]

    def problems(self) -> list[Problem]:
        """The nodes InvokeAI cannot run as they are, as pre-flight problems."""
        return [Problem(n.node_id or "", n.node_label, n.field, n.message) for n in self.blocked]

    def raise_if_blocked(self) -> None:
        """Refuse, as InvokeAI's Invoke button does, a workflow with a node it cannot run as it is."""
        if self.blocked:
            first = self.blocked[0]
            more = f" (and {len(self.blocked) - 1} more node(s): see load_report)" if len(self.blocked) > 1 else ""
            raise WorkflowError(first.message + more, file=self.file, node_id=first.node_id,
                                node_label=first.node_label, field=first.field)

    def lines(self) -> list[str]:
        """The report as text, one line per note, grouped by kind (what the CLI prints)."""
        head = f"schema {self.source_version}" + (f" -> {self.version}" if self.version != self.source_version else "")
        head += ", checked against the server's node templates" if self.checked else \
            ", not checked against a server (no schema known)"
        out = [head]
        for kind in KINDS:
            for note in self.of(kind):
                out.append(f"{kind}: {note}")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "source_version": self.source_version, "version": self.version,
                "checked": self.checked, "notes": [n.to_dict() for n in self.notes]}

    def _add(self, note: LoadNote) -> None:
        self.notes.append(note)
        if note.kind in ("blocked", "dropped", "reset", "warning"):
            log.warning("%s: %s", self.file or "workflow", note)
        else:
            log.info("%s: %s", self.file or "workflow", note)


def load_workflow(raw: dict[str, Any], *, file: str | None, context: ServerContext | None
                  ) -> tuple[dict[str, Any], LoadReport]:
    """``raw`` (modified in place, or a migrated copy) as the UI holds it after loading, and the report."""
    validate(raw, file)
    report = LoadReport(file=file, source_version=str(raw["meta"]["version"]), version=str(raw["meta"]["version"]))
    templates = context.node_templates() if context is not None else None
    labels = {n["id"]: node_title(n) for n in raw["nodes"]}

    def heard(kind: str, message: str, node: dict[str, Any] | None, field_name: str | None) -> None:
        report._add(LoadNote(kind, message, node["id"] if node else None, labels.get(node["id"]) if node else None,
                             field_name))

    raw = migrate(raw, file=file, templates=templates, report=heard)
    report.version = str(raw["meta"]["version"])
    check_against_server(raw, report, context)
    return raw, report


def check_against_server(raw: dict[str, Any], report: LoadReport, context: ServerContext | None) -> None:
    """The checks that need the server's node templates (offline: only edges to missing nodes)."""
    templates = context.node_templates() if context is not None else None
    if report.checked:
        return
    nodes = {n["id"]: n for n in raw["nodes"]}

    def dropped(edge: dict[str, Any], issues: list[str]) -> None:
        source, target = edge_ends(edge)
        names = " -> ".join(repr(node_title(nodes[e])) if e in nodes else "(missing)"
                            for e in (edge["source"], edge["target"]))
        anchor = edge["target"] if edge["target"] in nodes else edge["source"]
        report._add(LoadNote("dropped", f"Deleted invalid edge {source} -> {target} ({names}): {'; '.join(issues)}",
                             anchor if anchor in nodes else None,
                             node_title(nodes[anchor]) if anchor in nodes else None,
                             edge.get("targetHandle") if anchor == edge["target"] else edge.get("sourceHandle")))

    keep_valid_edges(raw, templates, dropped)
    if templates is None or context is None:
        return

    def noted(note: Note) -> None:
        node = nodes.get(note.node_id)
        report._add(LoadNote(note.kind, note.message, note.node_id, node_title(node) if node else None, note.field))

    check_nodes(raw, templates, context, noted)
    _fix_form(raw, report)
    report.checked = True


def _fix_form(raw: dict[str, Any], report: LoadReport) -> None:
    """The UI's last steps: renamed fields followed (``getUpdatedFieldName``), vanished form fields deleted."""
    nodes = {n["id"]: n for n in raw["nodes"] if is_invocation(n)}

    def renamed(node_id: str, name: str) -> str:
        node = nodes.get(node_id)
        if node and node["data"]["type"] == "image_collection" and name == "collection" \
                and "images" in node["data"]["inputs"]:
            return "images"
        return name

    for item in raw.get("exposedFields") or []:
        item["fieldName"] = renamed(item["nodeId"], item["fieldName"])
    form = raw.get("form")
    elements = form.get("elements") if isinstance(form, dict) else None
    if not isinstance(elements, dict):
        return
    for element_id, element in list(elements.items()):
        if element.get("type") != "node-field":
            continue
        ident = element["data"]["fieldIdentifier"]
        ident["fieldName"] = renamed(ident["nodeId"], ident["fieldName"])
        node = nodes.get(ident["nodeId"])
        if node is None or ident["fieldName"] not in node["data"]["inputs"]:
            del elements[element_id]
            report._add(LoadNote("warning", f"Deleted missing form field: node {ident['nodeId']} field "
                                            f"{ident['fieldName']}", ident["nodeId"],
                                 node_title(node) if node else None, ident["fieldName"]))
