"""Workflows of schema 1.0.0 and 2.0.0 (InvokeAI 3.x) brought to schema 4.0.0, as the UI's
``parseAndMigrateWorkflow`` (``features/nodes/util/workflow/migrations.ts``) does on load.

The steps, each pinned by a test:

* no readable ``meta.version``: refused, "Unable to get workflow schema version";
* 1.0.0: every value is checked against its field type (a misfit refuses the file, as the UI's
  parser does); field types become structured (``"integer"`` -> ``{"name": "IntegerField", ...}``,
  ``"ImageCollection"`` -> ImageField + isCollection); each node gets its ``nodePack`` (from the
  server's template, "Unknown" for a type it lacks) and a missing node ``version`` becomes 1.0.0;
  ``meta`` becomes ``{"version": "2.0.0", "category": "user"}``;
* 2.0.0: values are kept or dropped as the 2.0.0 and current parsers keep them (see
  :mod:`invokekit.workflow._fieldvalues`); inputs become ``{name, label, description, value}``,
  node outputs, sizes and ``embedWorkflow`` go, ``dynamicInputTemplates`` and an empty ``form`` are
  added, and ``meta.version`` becomes 4.0.0.

Files of schema 3.0.0 and 4.0.0 are what InvokeAI 6 writes; their stored values stay as stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invokekit.errors import UnsupportedWorkflowVersion, WorkflowError
from invokekit.workflow._fieldvalues import v1_value_problem, v2_value, v3_value
from invokekit.workflow._nodes import node_title
from invokekit.workflow._templates import MISSING, NodeTemplate

CURRENT_VERSION = "4.0.0"
READ_VERSIONS = ("1.0.0", "2.0.0", "3.0.0", "4.0.0")
Report = Callable[[str, str, dict[str, Any] | None, str | None], None]

_STATEFUL_V1 = {  # FIELD_TYPE_V1_TO_STATEFUL_FIELD_TYPE_V2
    "BoardField": "BoardField", "boolean": "BooleanField", "ColorField": "ColorField",
    "ControlNetModelField": "ControlNetModelField", "enum": "EnumField", "float": "FloatField",
    "ImageField": "ImageField", "integer": "IntegerField", "IPAdapterModelField": "IPAdapterModelField",
    "LoRAModelField": "LoRAModelField", "MainModelField": "MainModelField", "Scheduler": "SchedulerField",
    "SDXLMainModelField": "SDXLMainModelField", "SDXLRefinerModelField": "SDXLRefinerModelField",
    "string": "StringField", "T2IAdapterModelField": "T2IAdapterModelField", "VaeModelField": "VAEModelField",
}
_STATELESS_V1 = {  # FIELD_TYPE_V1_TO_STATELESS_FIELD_TYPE_V2
    "Any": "AnyField", "ClipField": "ClipField", "Collection": "CollectionField",
    "CollectionItem": "CollectionItemField",
    "ConditioningField": "ConditioningField", "ControlField": "ControlField", "DenoiseMaskField": "DenoiseMaskField",
    "IPAdapterField": "IPAdapterField", "LatentsField": "LatentsField", "MetadataField": "MetadataField",
    "MetadataItemField": "MetadataItemField", "T2IAdapterField": "T2IAdapterField", "UNetField": "UNetField",
    "VaeField": "VaeField",
}
_STEMS = {"Boolean": "BooleanField", "Color": "ColorField", "Float": "FloatField", "Image": "ImageField",
          "Integer": "IntegerField", "String": "StringField", "Conditioning": "ConditioningField",
          "Control": "ControlField", "IPAdapter": "IPAdapterField", "Latents": "LatentsField",
          "Metadata": "MetadataField", "MetadataItem": "MetadataItemField", "T2IAdapter": "T2IAdapterField"}
#: every field type string of schema 1.0.0 (zFieldTypeV1), mapped where the UI maps it
V1_FIELD_TYPES = frozenset(_STATEFUL_V1) | frozenset(_STATELESS_V1) | {"ONNXModelField"} | {
    f"{stem}{kind}" for stem in _STEMS for kind in ("Collection", "Polymorphic")} - {"MetadataPolymorphic"}


def v1_to_v2_type(v1_type: str) -> dict[str, Any] | None:
    """``FIELD_TYPE_V1_TO_FIELD_TYPE_V2_MAPPING``: the structured 2.0.0 type of a 1.0.0 type string."""
    if v1_type in _STATEFUL_V1 or v1_type in _STATELESS_V1:
        name = _STATEFUL_V1.get(v1_type) or _STATELESS_V1[v1_type]
        return {"name": name, "isCollection": v1_type == "Collection", "isCollectionOrScalar": False}
    for kind in ("Collection", "Polymorphic"):
        stem = v1_type.removesuffix(kind)
        if stem != v1_type and stem in _STEMS and v1_type in V1_FIELD_TYPES:
            return {"name": _STEMS[stem], "isCollection": kind == "Collection",
                    "isCollectionOrScalar": kind == "Polymorphic"}
    return None


def schema_version(raw: dict[str, Any], file: str | None) -> str:
    """``zWorkflowMetaVersion``: a ``meta.version`` of three whole numbers, else the UI's refusal."""
    meta = raw.get("meta")
    version = meta.get("version") if isinstance(meta, dict) else None
    parts = version.split(".") if isinstance(version, str) else []
    if len(parts) < 3 or not all(_js_whole_number(p) for p in parts[:3]):
        found = f"found {version!r}" if version is not None else "the file has no meta.version"
        raise UnsupportedWorkflowVersion(f"Unable to get workflow schema version ({found}; InvokeAI reads "
                                         f"{', '.join(READ_VERSIONS)})", file=file)
    return version  # type: ignore[return-value]


def _js_whole_number(text: str) -> bool:
    """``z.coerce.number().int().min(0)``: JavaScript's Number() of the text is a whole number >= 0."""
    text = text.strip()
    if text == "":
        return True  # Number("") is 0
    try:
        value = float(text)
    except ValueError:
        return False
    return value.is_integer() and value >= 0 and text.lower() not in ("inf", "infinity", "nan")


def migrate(raw: dict[str, Any], *, file: str | None, templates: dict[str, NodeTemplate] | None,
            report: Report) -> dict[str, Any]:
    """``raw`` in schema 4.0.0 (a new dict) if it is older, else ``raw`` itself.

    ``report(kind, message, node, field)`` hears each step ("migrated": what changed).
    """
    version = schema_version(raw, file)
    if version in ("3.0.0", "4.0.0"):
        return raw
    if version not in ("1.0.0", "2.0.0"):
        raise UnsupportedWorkflowVersion(
            f"Workflow Validation Error: meta.version {version!r} is not a workflow schema InvokeAI reads "
            f"({', '.join(READ_VERSIONS)})", file=file)
    if version == "1.0.0":
        _v1_to_v2(raw, file, templates)
        report("migrated", "schema 1.0.0 -> 2.0.0: field types structured, node packs added, missing node "
                           "versions set to 1.0.0", None, None)
    migrated = _v2_to_v4(raw, report)
    report("migrated", "schema 2.0.0 -> 4.0.0: inputs reshaped (name, label, description, value), node outputs "
                       "and sizes removed, an empty form added", None, None)
    return migrated


def _invocations(raw: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in raw["nodes"] if n.get("type") == "invocation"]


def _v1_to_v2(raw: dict[str, Any], file: str | None, templates: dict[str, NodeTemplate] | None) -> None:
    """``zWorkflowV1.parse`` + ``migrateV1toV2``, in place."""
    for node in _invocations(raw):
        data = node["data"]
        where = {"file": file, "node_id": node["id"], "node_label": node_title(node)}
        for name, field in data["inputs"].items():
            problem = v1_value_problem(field.get("type"), field.get("value", MISSING))
            if problem:
                raise WorkflowError(f"Workflow Validation Error: {problem}", field=name, **where)
            field["type"] = v1_to_v2_type(field["type"])
        outputs = data.get("outputs") if isinstance(data.get("outputs"), dict) else {}
        for name, field in outputs.items():
            kind = field.get("type") if isinstance(field, dict) else None
            if kind not in V1_FIELD_TYPES:
                raise WorkflowError(f"Workflow Validation Error: output has an unknown field type {kind!r}",
                                    field=name, **where)
            mapped = v1_to_v2_type(kind)  # type: ignore[arg-type]
            if mapped is None:
                raise WorkflowError(f"Unknown field type: {kind}", field=name, **where)  # WorkflowMigrationError
            field["type"] = mapped
        template = templates.get(data["type"]) if templates else None
        data["nodePack"] = template.node_pack if template is not None else "Unknown"
        data["version"] = data.get("version") or "1.0.0"
        data.setdefault("useCache", True)
    raw["meta"] = {**raw["meta"], "version": "2.0.0", "category": "user"}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:79] + "…"


def _v2_to_v4(raw: dict[str, Any], report: Report) -> dict[str, Any]:
    """``zWorkflowV2.parse`` + ``migrateV2toV3`` + ``zWorkflowV3.parse``: a new 4.0.0 dict."""
    nodes = []
    for node in raw["nodes"]:
        data = node["data"]
        position = node.get("position") if isinstance(node.get("position"), dict) else {"x": 0, "y": 0}
        if node.get("type") == "notes":
            nodes.append({"id": node["id"], "type": "notes", "position": position, "data": {
                "id": data.get("id", node["id"]), "type": "notes", "label": data.get("label", ""),
                "isOpen": data.get("isOpen", True), "notes": data.get("notes", "")}})
            continue
        if node.get("type") != "invocation":
            nodes.append(node)
            continue
        inputs = {}
        for name, field in data["inputs"].items():
            inputs[name] = _v2_input(node, name, field, report)
        nodes.append({"id": node["id"], "type": "invocation", "position": position, "data": {
            "id": data.get("id", node["id"]), "version": data.get("version") or "1.0.0",
            "nodePack": data.get("nodePack") or "invokeai", "label": data.get("label") or "",
            "notes": data.get("notes") or "", "type": data["type"], "inputs": inputs, "dynamicInputTemplates": {},
            "isOpen": data.get("isOpen", True), "isIntermediate": data.get("isIntermediate", True),
            "useCache": data.get("useCache", True)}})
    edge_keys = {"default": ("id", "source", "target", "type", "sourceHandle", "targetHandle", "hidden"),
                 "collapsed": ("id", "source", "target", "type")}
    edges = [{k: e[k] for k in edge_keys.get(e.get("type"), tuple(e)) if k in e} for e in raw["edges"]]
    meta = raw.get("meta") or {}
    out: dict[str, Any] = {"id": raw["id"]} if isinstance(raw.get("id"), str) and raw["id"] else {}
    for key in ("name", "author", "description", "version", "contact", "tags", "notes"):
        out[key] = raw.get(key) if isinstance(raw.get(key), str) else ""
    out.update(nodes=nodes, edges=edges,
               exposedFields=[{"nodeId": f["nodeId"], "fieldName": f["fieldName"]}
                              for f in raw.get("exposedFields") or [] if isinstance(f, dict)],
               meta={"category": meta.get("category") if meta.get("category") in ("user", "default") else "user",
                     "version": CURRENT_VERSION},
               form={"elements": {"root": {"id": "root", "type": "container",
                                           "data": {"layout": "column", "children": []}}},
                     "rootElementId": "root"})
    return out


def _v2_input(node: dict[str, Any], name: str, field: dict[str, Any], report: Report) -> dict[str, Any]:
    ftype = field.get("type") if isinstance(field.get("type"), dict) else {}
    stored = field.get("value", MISSING)
    value = v2_value(ftype.get("name"), stored)
    why = f"not a value of a {ftype['name']} field in schema 2.0.0" if isinstance(ftype.get("name"), str) \
        else "its field type is not one of schema 2.0.0"
    if value is not MISSING:
        value = v3_value(value)
        why = ("a 3.x model identifier (name and base, no key); set the model by name" if isinstance(stored, dict)
               and "model_name" in stored else "no current field value has this shape")
    if value is MISSING and stored is not MISSING:
        report("migrated", f"stored value {_short(stored)} is not one InvokeAI 6 reads ({why}); left unset",
               node, name)
    out = {"name": field.get("name") or name, "label": field.get("label") if isinstance(field.get("label"), str)
           else "", "description": ""}
    if value is not MISSING:
        out["value"] = value
    return out
