"""Input values as the UI's zod schemas of workflow schemas 1.0.0, 2.0.0 and 3.0.0 read them.

Migrating an old workflow is mostly a matter of these parsers (``types/v1/workflowV1.ts``,
``types/v2/field.ts``, ``types/field.ts``):

* schema 1.0.0 checks each value against its field type and refuses the file if one does not fit;
* schema 2.0.0 keeps a value only if it fits one of the "stateful" field types (numbers, strings,
  images, boards, 3.x model identifiers, colors, schedulers); anything else parses as a
  "stateless" field, whose value is dropped;
* schema 3.0.0 (what the UI holds) keeps a value only if it fits a current value shape. A 3.x model
  identifier (``{model_name, base_model}``) fits none: the UI's parser lets it fall through to a
  generator's all-default shape (a float-generator sequence), which no model input accepts. Here
  it is left unset instead, so that the pre-flight check asks for the model by name.

Each parser takes a value (``MISSING`` for none) and returns the parsed value, or raises ``Bad``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from invokekit.workflow._templates import MISSING
from invokekit.workflow._update import BASE_MODELS, MODEL_TYPES

Parser = Callable[[Any], Any]


class Bad(ValueError):
    """The value does not fit the schema."""


def _int(v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, int | float) or (isinstance(v, float) and not v.is_integer()):
        raise Bad("expected an integer")
    return v


def _num(v: Any) -> Any:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise Bad("expected a number")
    return v


def _bool(v: Any) -> Any:
    if not isinstance(v, bool):
        raise Bad("expected true or false")
    return v


def _any(v: Any) -> Any:
    return v


def string(*, trim: bool = False, min_len: int = 0) -> Parser:
    def parse(v: Any) -> Any:
        if not isinstance(v, str):
            raise Bad("expected a string")
        v = v.strip() if trim else v
        if len(v) < min_len:
            raise Bad(f"expected a string of at least {min_len} characters")
        return v
    return parse


def enum(*options: Any) -> Parser:
    def parse(v: Any) -> Any:
        if v not in options or isinstance(v, bool):
            raise Bad(f"expected one of {', '.join(map(repr, options))}")
        return v
    return parse


def optional(inner: Parser) -> Parser:
    return lambda v: v if v is MISSING else inner(v)


def nullish(inner: Parser) -> Parser:
    return lambda v: v if v is MISSING or v is None else inner(v)


def array(inner: Parser) -> Parser:
    def parse(v: Any) -> Any:
        if not isinstance(v, list):
            raise Bad("expected a list")
        return [inner(x) for x in v]
    return parse


def record(inner: Parser) -> Parser:
    def parse(v: Any) -> Any:
        if not isinstance(v, dict):
            raise Bad("expected an object")
        return {k: inner(x) for k, x in v.items()}
    return parse


def obj(**shape: Parser) -> Parser:
    """A zod object: every key parsed (absent keys as ``MISSING``), unknown keys stripped."""
    def parse(v: Any) -> Any:
        if not isinstance(v, dict):
            raise Bad("expected an object")
        out = {}
        for key, inner in shape.items():
            try:
                value = inner(v.get(key, MISSING))
            except Bad as exc:
                raise Bad(f"{key}: {exc}") from None
            if value is not MISSING:
                out[key] = value
        return out
    return parse


def union(*options: Parser) -> Parser:
    def parse(v: Any) -> Any:
        for option in options:
            try:
                return option(v)
            except Bad:
                continue
        raise Bad("fits none of the allowed shapes")
    return parse


# --- schema 1.0.0 (types/v1/workflowV1.ts) ---------------------------------------------------
_V1_SCHEDULERS = ("euler", "deis", "ddim", "ddpm", "dpmpp_2s", "dpmpp_2m", "dpmpp_2m_sde", "dpmpp_sde", "heun",
                  "kdpm_2", "lms", "pndm", "unipc", "euler_k", "dpmpp_2s_k", "dpmpp_2m_k", "dpmpp_2m_sde_k",
                  "dpmpp_sde_k", "heun_k", "lms_k", "euler_a", "kdpm_2_a", "lcm")
_V1_BASES = enum("any", "sd-1", "sd-2", "sdxl", "sdxl-refiner")
_IMAGE = obj(image_name=string(trim=True, min_len=1))
_MODEL_ID = obj(model_name=string(trim=True, min_len=1), base_model=_V1_BASES)
_MAIN = union(*(obj(model_name=string(min_len=1), base_model=_V1_BASES, model_type=enum(t)) for t in ("main", "onnx")))
_MODEL_INFO = obj(model_name=string(trim=True, min_len=1), base_model=_V1_BASES,
                  model_type=enum("onnx", "main", "vae", "lora", "controlnet", "embedding"),
                  submodel=optional(enum("unet", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "vae",
                                         "vae_decoder", "vae_encoder", "scheduler", "safety_checker")))
_LORA_INFO = obj(model_name=string(trim=True, min_len=1), base_model=_V1_BASES,
                 model_type=enum("onnx", "main", "vae", "lora", "controlnet", "embedding"),
                 submodel=optional(enum("unet", "text_encoder", "text_encoder_2", "tokenizer", "tokenizer_2", "vae",
                                        "vae_decoder", "vae_encoder", "scheduler", "safety_checker")),
                 weight=optional(_num))
_RESIZE = optional(enum("just_resize", "crop_resize", "fill_resize", "just_resize_simple"))
_WEIGHT = optional(union(_num, array(_num)))


def _byte(v: Any) -> Any:
    if _int(v) < 0 or v > 255:
        raise Bad("expected an integer from 0 to 255")
    return v


_COLOR = obj(r=_byte, g=_byte, b=_byte, a=_byte)
_LATENTS = obj(latents_name=string(trim=True, min_len=1), seed=optional(_int))
_CONDITIONING = obj(conditioning_name=string(trim=True, min_len=1))
_CONTROL = obj(image=_IMAGE, control_model=_MODEL_ID, control_weight=_WEIGHT, begin_step_percent=optional(_num),
               end_step_percent=optional(_num),
               control_mode=optional(enum("balanced", "more_prompt", "more_control", "unbalanced")),
               resize_mode=_RESIZE)
_IP_ADAPTER = obj(image=_IMAGE, ip_adapter_model=_MODEL_ID, weight=_num, begin_step_percent=optional(_num),
                  end_step_percent=optional(_num))
_T2I_ADAPTER = obj(image=_IMAGE, t2i_adapter_model=_MODEL_ID, weight=_WEIGHT, begin_step_percent=optional(_num),
                   end_step_percent=optional(_num), resize_mode=_RESIZE)
_METADATA_ITEM = obj(label=string(), value=_any)
#: the members of the 1.0.0 input union (zInputFieldValue), by field type
_V1_VALUES: dict[str, Parser] = {
    "Any": _any, "BoardField": obj(board_id=string(trim=True, min_len=1)),
    "boolean": _bool, "BooleanCollection": array(_bool), "BooleanPolymorphic": _bool,
    "ClipField": obj(tokenizer=_MODEL_INFO, text_encoder=_MODEL_INFO, skipped_layers=_num, loras=array(_LORA_INFO)),
    "Collection": array(_any), "CollectionItem": _any,
    "ColorField": _COLOR, "ColorCollection": array(_COLOR), "ColorPolymorphic": union(_COLOR, array(_COLOR)),
    "ConditioningField": _CONDITIONING, "ConditioningCollection": array(_CONDITIONING),
    "ConditioningPolymorphic": union(_CONDITIONING, array(_CONDITIONING)),
    "ControlField": _CONTROL, "ControlCollection": array(_CONTROL),
    "ControlPolymorphic": union(_CONTROL, array(_CONTROL)),
    "ControlNetModelField": _MODEL_ID,
    "DenoiseMaskField": obj(mask_name=string(trim=True, min_len=1),
                            masked_latents_name=optional(string(trim=True, min_len=1))),
    "enum": string(), "float": _num, "FloatCollection": array(_num), "FloatPolymorphic": _num,
    "ImageField": _IMAGE, "ImageCollection": array(_IMAGE), "ImagePolymorphic": _IMAGE,
    "integer": _int, "IntegerCollection": array(_int), "IntegerPolymorphic": _int,
    "IPAdapterField": _IP_ADAPTER, "IPAdapterCollection": array(_IP_ADAPTER),
    "IPAdapterPolymorphic": union(_IP_ADAPTER, array(_IP_ADAPTER)), "IPAdapterModelField": _MODEL_ID,
    "LatentsField": _LATENTS, "LatentsCollection": array(_LATENTS),
    "LatentsPolymorphic": union(_LATENTS, array(_LATENTS)),
    "LoRAModelField": _MODEL_ID, "MainModelField": _MAIN, "SDXLMainModelField": _MAIN, "SDXLRefinerModelField": _MAIN,
    "Scheduler": enum(*_V1_SCHEDULERS),
    "string": string(), "StringCollection": array(string()), "StringPolymorphic": string(),
    "T2IAdapterField": _T2I_ADAPTER, "T2IAdapterCollection": array(_T2I_ADAPTER),
    "T2IAdapterPolymorphic": union(_T2I_ADAPTER, array(_T2I_ADAPTER)), "T2IAdapterModelField": _MODEL_ID,
    "UNetField": obj(unet=_MODEL_INFO, scheduler=_MODEL_INFO, loras=array(_LORA_INFO)),
    "VaeField": obj(vae=_MODEL_INFO), "VaeModelField": _MODEL_ID,
    "MetadataItemField": _METADATA_ITEM, "MetadataItemCollection": array(_METADATA_ITEM),
    "MetadataItemPolymorphic": union(_METADATA_ITEM, array(_METADATA_ITEM)),
    "MetadataField": record(_any), "MetadataCollection": array(record(_any)),
}


def v1_value_problem(field_type: Any, value: Any) -> str | None:
    """Why schema 1.0.0 refuses ``value`` for an input of ``field_type`` (``None``: it accepts it)."""
    parser = _V1_VALUES.get(field_type) if isinstance(field_type, str) else None
    if parser is None:
        return f"unknown field type {field_type!r}"
    try:
        optional(parser)(value)
    except Bad as exc:
        return f"value does not fit field type {field_type}: {exc}"
    return None


# --- schema 2.0.0 (types/v2/field.ts) ----------------------------------------------------------
_V2_SCHEDULERS = _V1_SCHEDULERS
_V2_MODEL = obj(model_name=string(min_len=3), base_model=_V1_BASES)
_V2_MAIN = obj(model_name=string(min_len=3), base_model=_V1_BASES, model_type=enum("main"))
_V2_STATEFUL: dict[str, Parser] = {
    "IntegerField": _int, "FloatField": _num, "StringField": string(), "BooleanField": _bool, "EnumField": string(),
    "ImageField": optional(_IMAGE), "BoardField": optional(obj(board_id=string(trim=True, min_len=1))),
    "MainModelField": optional(_V2_MAIN), "SDXLMainModelField": optional(_V2_MAIN),
    "SDXLRefinerModelField": optional(_V2_MAIN), "VAEModelField": optional(_V2_MODEL),
    "LoRAModelField": optional(_V2_MODEL), "ControlNetModelField": optional(_V2_MODEL),
    "IPAdapterModelField": optional(_V2_MODEL), "T2IAdapterModelField": optional(_V2_MODEL),
    "ColorField": optional(_COLOR), "SchedulerField": optional(enum(*_V2_SCHEDULERS)),
}


def v2_value(type_name: Any, value: Any) -> Any:
    """A schema 2.0.0 input's value as the UI keeps it (``MISSING``: parsed as stateless, dropped)."""
    parser = _V2_STATEFUL.get(type_name) if isinstance(type_name, str) else None
    if parser is None:
        return MISSING
    try:
        return parser(value)
    except Bad:
        return MISSING


# --- schema 3.0.0 (types/field.ts: zFieldInputInstance) --------------------------------------
_MODEL = obj(key=string(min_len=1), hash=string(min_len=1), name=string(min_len=1), base=enum(*BASE_MODELS),
             type=enum(*MODEL_TYPES), submodel_type=nullish(string()))
#: the branches of the current union a value carried over from schema 2.0.0 can reach, in order
#: (the generator branches after them only ever match such a value through their defaults)
_V3_VALUES = (_int, optional(array(_int)), _num, optional(array(_num)), string(), optional(array(string())), _bool,
              optional(_IMAGE), optional(array(_IMAGE)), optional(obj(video_name=string(trim=True, min_len=1))),
              optional(union(obj(board_id=string(trim=True, min_len=1)), enum("none", "auto"))),
              optional(obj(style_preset_id=string(trim=True, min_len=1))),
              optional(obj(system_prompt_id=string(trim=True, min_len=1))), optional(_MODEL),
              optional(array(obj(lora=_MODEL, weight=_num))), optional(_COLOR))


def v3_value(value: Any) -> Any:
    """A migrated value as the current UI keeps it (``MISSING``: dropped)."""
    for parser in _V3_VALUES:
        try:
            return parser(value)
        except Bad:
            continue
    return MISSING
