"""The node templates InvokeAI's UI builds from the server's OpenAPI schema (``parseSchema.ts``).

Loading a workflow checks it against these templates, exactly as the editor does: an edge must go
into an input the *template* has (a file may omit connection-only inputs), connected field types
must fit (``validateConnectionTypes``), and a node whose version differs from its template's is
updated, new inputs getting the template's default (``buildFieldInputTemplate``). The templates
are derived once per schema and cached on the :class:`ServerContext`.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any


class _Missing:
    """JavaScript's ``undefined``: no value at all, which differs from JSON ``null``."""

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __deepcopy__(self, memo: dict[int, Any]) -> _Missing:
        return self


MISSING: Any = _Missing()

SINGLE, COLLECTION, SINGLE_OR_COLLECTION = "SINGLE", "COLLECTION", "SINGLE_OR_COLLECTION"
_PRIMITIVES = {"integer": "IntegerField", "number": "FloatField", "string": "StringField", "boolean": "BooleanField"}
#: field types with a value the user edits; every other type is "stateless" (connection only)
STATEFUL_TYPES = frozenset({
    "IntegerField", "FloatField", "StringField", "BooleanField", "EnumField", "ImageField", "VideoField",
    "BoardField", "StylePresetField", "SystemPromptField", "ModelIdentifierField", "LoRAField", "ColorField",
    "SchedulerField", "SavedWorkflowField", "FloatGeneratorField", "IntegerGeneratorField", "StringGeneratorField",
    "ImageGeneratorField", "LoRAMetadataField", "ControlNetMetadataField", "IPAdapterMetadataField",
    "T2IAdapterMetadataField", "MetadataExtraField",
})
MODEL_FIELD_TYPES = frozenset({"ModelIdentifierField", "UNetField", "VAEField", "CLIPField", "T5EncoderField",
                               "TransformerField", "ControlLoRAField"})
_DENYLIST = frozenset({"graph", "linear_ui_output"})
_BATCH_INPUTS = {("float_batch", "floats"), ("integer_batch", "integers"), ("string_batch", "strings"),
                 ("image_batch", "images")}
_BATCH_OUTPUTS = {("float_generator", "floats"), ("integer_generator", "integers"),
                  ("string_generator", "strings"), ("image_generator", "images")}
_GENERATOR_DEFAULTS = {
    "FloatGeneratorField": {"type": "float_generator_arithmetic_sequence", "start": 0, "step": 0.1, "count": 10},
    "IntegerGeneratorField": {"type": "integer_generator_arithmetic_sequence", "start": 0, "step": 1, "count": 10},
    "StringGeneratorField": {"type": "string_generator_parse_string", "input": "foo,bar,baz,qux", "splitOn": ","},
    "ImageGeneratorField": {"type": "image_generator_images_from_board", "category": "images"},
}
_FALLBACKS = {"IntegerField": 0, "FloatField": 0, "StringField": "", "BooleanField": False, "BoardField": "auto",
              "ColorField": {"r": 127, "g": 127, "b": 127, "a": 255}, "SchedulerField": "dpmpp_3m_k",
              "SavedWorkflowField": "", "LoRAField": []}


@dataclass(frozen=True)
class FieldType:
    name: str
    cardinality: str = SINGLE
    batch: bool = False
    original: FieldType | None = None

    def bare(self) -> FieldType:
        return FieldType(self.name, self.cardinality, self.batch)


@dataclass
class InputTemplate:
    name: str
    type: FieldType
    input: str  # "connection", "direct" or "any"
    default: Any = MISSING


@dataclass
class NodeTemplate:
    type: str
    version: str
    node_pack: str
    use_cache: bool
    inputs: dict[str, InputTemplate] = field(default_factory=dict)
    outputs: dict[str, FieldType] = field(default_factory=dict)


class _Unparsable(ValueError):
    """The UI cannot type this field and leaves it out of the template."""


def _ref_name(ref: dict[str, Any]) -> str:
    return str(ref["$ref"]).split("/")[-1]


def _is_ref(obj: Any) -> bool:
    return isinstance(obj, dict) and "$ref" in obj


def _is_array(obj: Any) -> bool:
    return isinstance(obj, dict) and not _is_ref(obj) and obj.get("type") == "array"


def parse_field_type(prop: dict[str, Any]) -> FieldType:
    """``parseFieldType``: the UI's field type of one OpenAPI property."""
    if _is_ref(prop):
        return FieldType(_ref_name(prop))
    if prop.get("const"):
        return FieldType("EnumField")
    if not prop.get("type"):
        if prop.get("allOf"):
            first = prop["allOf"][0]
            if _is_ref(first):
                return FieldType(_ref_name(first))
        elif prop.get("anyOf"):
            branches = [b for b in prop["anyOf"] if _is_ref(b) or b.get("type") != "null"]
            if len(branches) == 1:
                return FieldType(_ref_name(branches[0])) if _is_ref(branches[0]) else parse_field_type(branches[0])
            if len(branches) == 2:
                first, second = _pair(*branches)
                if first and first == second:
                    return FieldType(_PRIMITIVES.get(first, first), SINGLE_OR_COLLECTION)
        raise _Unparsable("unsupported union")
    if prop.get("enum"):
        return FieldType("EnumField")
    if prop["type"] == "array":
        items = prop.get("items")
        if _is_ref(items):
            return FieldType(_ref_name(items), COLLECTION)
        name = _PRIMITIVES.get(items.get("type")) if isinstance(items, dict) else None
        if name is None:
            raise _Unparsable("unsupported array item type")
        return FieldType(name, COLLECTION)
    if isinstance(prop["type"], str) and prop["type"] in _PRIMITIVES:
        return FieldType(_PRIMITIVES[prop["type"]])
    raise _Unparsable(f"unsupported type {prop['type']!r}")


def _pair(a: dict[str, Any], b: dict[str, Any]) -> tuple[str | None, str | None]:
    """The two type names of an ``X | list[X]`` union (``None`` where it is not one)."""
    if _is_array(a):
        single, items = b, a.get("items")
    elif _is_array(b):
        single, items = a, b.get("items")
    else:
        return None, None
    if _is_ref(items) and _is_ref(single):
        return _ref_name(items), _ref_name(single)
    if isinstance(items, dict) and not _is_ref(items) and not _is_ref(single) and not _is_array(items) \
            and not _is_array(single):
        return items.get("type"), single.get("type")
    return None, None


def _default(prop: dict[str, Any], ftype: FieldType) -> Any:
    """``buildFieldInputTemplate``'s default (JavaScript ``??``: a JSON ``null`` default counts as none)."""
    given = prop.get("default")
    if ftype.name not in STATEFUL_TYPES:
        return MISSING
    if ftype.name in _GENERATOR_DEFAULTS:
        return copy.deepcopy(_GENERATOR_DEFAULTS[ftype.name])
    options = _enum_options(prop) if ftype.name == "EnumField" else None
    if options == []:
        raise _Unparsable("no enum options")
    if given is not None:
        return copy.deepcopy(given)
    if options:
        return options[0]
    if ftype.name == "LoRAField":
        return []
    if ftype.cardinality == COLLECTION and ftype.name in ("ImageField", "StringField", "IntegerField", "FloatField"):
        return [] if prop.get("orig_required") else MISSING
    return copy.deepcopy(_FALLBACKS.get(ftype.name, MISSING))


def _enum_options(prop: dict[str, Any]) -> list[Any]:
    if prop.get("anyOf"):
        branches = [b for b in prop["anyOf"] if _is_ref(b) or b.get("type") != "null"]
        if len(branches) != 1 or _is_ref(branches[0]):
            return []
        return [branches[0]["const"]] if branches[0].get("const") else list(branches[0].get("enum") or [])
    if prop.get("const"):
        return [prop["const"]]
    return list(prop.get("enum") or [])


def _field_type(node_type: str, name: str, prop: dict[str, Any], batch: set[tuple[str, str]]) -> FieldType | None:
    try:
        original: FieldType | None = parse_field_type(prop)
    except (_Unparsable, KeyError, TypeError, IndexError, AttributeError):
        original = None
    ui_type = prop.get("ui_type")
    ftype = FieldType(ui_type, COLLECTION if ui_type == "CollectionField" else SINGLE) if ui_type else original
    if ftype is None:
        return None
    if ftype.name in STATEFUL_TYPES and original is not None and original != ftype:
        ftype = FieldType(ftype.name, ftype.cardinality, ftype.batch, original)
    if (node_type, name) in batch:
        ftype = FieldType(ftype.name, ftype.cardinality, True, ftype.original)
    return ftype


def build_templates(schema: dict[str, Any]) -> dict[str, NodeTemplate]:
    """Every invocation's template, by node type, as ``parseSchema`` builds them."""
    comps = (schema.get("components") or {}).get("schemas") or {}
    templates: dict[str, NodeTemplate] = {}
    for comp in comps.values():
        if not isinstance(comp, dict) or comp.get("class") != "invocation":
            continue
        props = comp.get("properties") or {}
        node_type = (props.get("type") or {}).get("default")
        if not isinstance(node_type, str) or node_type in _DENYLIST:
            continue
        out_ref = comp.get("output", {}).get("$ref", "") if isinstance(comp.get("output"), dict) else ""
        out_schema = comps.get(str(out_ref).split("/")[-1])
        if not isinstance(out_schema, dict) or out_schema.get("class") != "output":
            continue
        tpl = NodeTemplate(type=node_type, version=str(comp.get("version", "")),
                           node_pack=str(comp.get("node_pack") or "invokeai"),
                           use_cache=bool((props.get("use_cache") or {}).get("default", True)))
        for name, prop in props.items():
            if name in ("id", "type", "use_cache") or (node_type == "iterate" and name == "index"):
                continue
            if not isinstance(prop, dict) or "field_kind" not in prop:
                continue
            ftype = _field_type(node_type, name, prop, _BATCH_INPUTS)
            if ftype is None or ftype.name == "IsIntermediate":
                continue
            try:
                default = _default(prop, ftype)
            except _Unparsable:
                continue
            kind = "connection" if ftype.name not in STATEFUL_TYPES else str(prop.get("input", "any"))
            tpl.inputs[name] = InputTemplate(name, ftype, kind, default)
        for name, prop in (out_schema.get("properties") or {}).items():
            if name == "type" or not isinstance(prop, dict) or "field_kind" not in prop:
                continue
            ftype = _field_type(node_type, name, prop, _BATCH_OUTPUTS)
            if ftype is not None:
                tpl.outputs[name] = ftype
        templates[node_type] = tpl
    return templates


def input_template(node: dict[str, Any], template: NodeTemplate, name: str) -> InputTemplate | None:
    """``getInvocationNodeInputTemplate``: a node's dynamic input template, else its template's."""
    dynamic = node["data"].get("dynamicInputTemplates") or {}
    if isinstance(dynamic.get(name), dict):
        spec = dynamic[name]
        spec_type = spec.get("type") if isinstance(spec.get("type"), dict) else {}
        ftype = FieldType(str(spec_type.get("name", "AnyField")), str(spec_type.get("cardinality", SINGLE)),
                          bool(spec_type.get("batch", False)))
        return InputTemplate(name, ftype, str(spec.get("input", "any")), spec.get("default", MISSING))
    return template.inputs.get(name)
