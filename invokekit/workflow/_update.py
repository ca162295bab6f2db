"""Node updates and asset checks InvokeAI's UI makes when it loads a workflow (``validateWorkflow.ts``).

* A node whose version differs from its template's is updated when the major versions agree
  (``nodeUpdate.ts``): it is merged into a fresh node of the template (missing inputs and values
  get the template's defaults) and inputs the template lacks are removed. With another major
  version the UI cannot update it ("Node update failed ..."); if the node then has inputs the
  template lacks, the UI's Invoke button stays disabled ("Missing field template"): the node is
  recorded as blocking, and converting the workflow refuses it, naming the node.
* Images, boards and models the server does not have are reset (``checkImageAccess``,
  ``checkBoardAccess``, ``checkModelAccess``): image and model to unset, board to auto, so that the
  pre-flight check asks for them instead of the server failing on a foreign id.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from invokekit.workflow._context import ServerContext
from invokekit.workflow._nodes import EXTRA_INPUT_NODE_TYPES, is_invocation
from invokekit.workflow._templates import MISSING, MODEL_FIELD_TYPES, NodeTemplate, input_template

_INSTANCE_FALLBACKS = {"EnumField": "", "BooleanField": False, "ColorField": {"r": 0, "g": 0, "b": 0, "a": 1},
                       "FloatField": 0, "IntegerField": 0, "LoRAField": [], "SchedulerField": "dpmpp_3m_k",
                       "SavedWorkflowField": "", "StringField": ""}
_SEMVER = re.compile(r"^v?(\d+)(?:\.(\d+|[x*]))?(?:\.(\d+|[x*]))?(?:-[\w.-]+)?(?:\+[\w.-]+)?$")
BASE_MODELS = frozenset({"any", "sd-1", "sd-2", "sd-3", "sdxl", "sdxl-refiner", "flux", "flux2", "cogview4",
                         "qwen-image", "z-image", "ernie-image", "krea-2", "ideogram-4", "external", "anima", "wan",
                         "unknown"})
MODEL_TYPES = frozenset({
    "main", "vae", "lora", "llava_onevision", "text_llm", "control_lora", "controlnet", "t2i_adapter", "ip_adapter",
    "embedding", "onnx", "clip_vision", "spandrel_image_to_image", "t5_encoder", "qwen3_encoder", "qwen_vl_encoder",
    "mistral_encoder", "qwen3_vl_encoder", "wan_t5_encoder", "gemma2_encoder", "clip_embed", "siglip", "flux_redux",
    "prompt_enhancer", "external_image_generator", "pid_decoder", "unknown"})


@dataclass(frozen=True)
class Note:
    """One thing loading did to a node (``kind``: "updated", "reset", "warning" or "blocked")."""

    kind: str
    message: str
    node_id: str
    field: str | None = None


def _major(version: Any) -> int | None:
    match = _SEMVER.match(version) if isinstance(version, str) else None
    return int(match.group(1)) if match else None


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("-")[0].lstrip("v").split("."))


def defaults_deep(target: dict[str, Any], source: dict[str, Any]) -> None:
    """lodash's ``defaultsDeep``: fill what ``target`` lacks from ``source``, recursing into objects/arrays."""
    for key, value in source.items():
        if value is MISSING:
            continue
        if key not in target or target[key] is MISSING:
            target[key] = copy.deepcopy(value)
        elif isinstance(target[key], dict) and isinstance(value, dict):
            defaults_deep(target[key], value)
        elif isinstance(target[key], list) and isinstance(value, list):
            for index, item in enumerate(value):
                if index >= len(target[key]):
                    target[key].append(copy.deepcopy(item))
                elif isinstance(target[key][index], dict) and isinstance(item, dict):
                    defaults_deep(target[key][index], item)


def fresh_inputs(template: NodeTemplate) -> dict[str, dict[str, Any]]:
    """The inputs of a node just added from ``template`` (``buildFieldInputInstance``)."""
    inputs: dict[str, dict[str, Any]] = {}
    for name, spec in template.inputs.items():
        value = spec.default if spec.default is not MISSING else _INSTANCE_FALLBACKS.get(spec.type.name, MISSING)
        inputs[name] = {"name": name, "label": "", "description": ""}
        if value is not MISSING:
            inputs[name]["value"] = copy.deepcopy(value)
    return inputs


def update_node(node: dict[str, Any], template: NodeTemplate, connected: set[str]) -> dict[str, Any] | None:
    """``updateNode``: the node's data brought to the template's version, or ``None`` if the UI cannot."""
    data = node["data"]
    major = _major(template.version)
    if major is None or _major(data.get("version")) != major:
        return None
    defaults = {"id": node["id"], "type": template.type, "version": template.version, "label": "", "notes": "",
                "isOpen": True, "isIntermediate": template.type != "save_image", "useCache": template.use_cache,
                "nodePack": template.node_pack, "inputs": fresh_inputs(template), "dynamicInputTemplates": {}}
    clone = copy.deepcopy(data)
    source_version = clone.get("version")
    clone["version"] = template.version
    defaults_deep(clone, defaults)
    _migrate_image_collection(clone, source_version, connected)
    keep = list(template.inputs)
    if data["type"] in EXTRA_INPUT_NODE_TYPES:
        keep += [k for k in clone["inputs"] if k not in template.inputs]
    clone["inputs"] = {k: clone["inputs"][k] for k in keep if k in clone["inputs"]}
    return clone


def _migrate_image_collection(data: dict[str, Any], source_version: Any, connected: set[str]) -> None:
    """``migrateImageCollectionInputValues``: image_collection < 1.0.2 kept its images in ``collection``."""
    if data["type"] != "image_collection":
        return
    if isinstance(source_version, str) and _major(source_version) is not None \
            and _version_tuple(source_version) >= (1, 0, 2):
        return
    collection, images = data["inputs"].get("collection"), data["inputs"].get("images")
    if not collection or not images or not isinstance(collection.get("value"), list):
        return
    if isinstance(images.get("value"), list) and images["value"]:
        return
    if "collection" in connected:
        return
    images["value"], collection["value"] = collection["value"], []


def _is_image(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("image_name"), str) and bool(value["image_name"].strip())


def _is_model(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(value.get(k), str) and value[k] for k in ("key", "hash", "name")) \
        and value.get("base") in BASE_MODELS and value.get("type") in MODEL_TYPES


def _access(data: dict[str, Any], template: NodeTemplate, node: dict[str, Any], context: ServerContext,
            add: Callable[[Note], None]) -> None:
    node_id = node["id"]
    boards = {b.get("board_id") for b in context.boards or [] if isinstance(b, dict)}
    models = {m.get("key") for m in context.models or [] if isinstance(m, dict)}
    image_exists = getattr(context, "image_exists", None)
    for name, field in data["inputs"].items():
        spec = input_template(node, template, name)
        value = field.get("value")
        if spec is None or not value:
            continue
        kind = spec.type.name
        if kind == "ImageField" and image_exists is not None:
            if _is_image(value) and not image_exists(value["image_name"]):
                add(Note("reset", f"Unable to find image {value['image_name']}, resetting to default", node_id, name))
                del field["value"]
            elif isinstance(value, list) and all(_is_image(v) for v in value):
                for image in list(value):
                    if not image_exists(image["image_name"]):
                        add(Note("reset", f"Unable to find image {image['image_name']}, resetting to default",
                                 node_id, name))
                        field["value"] = [v for v in field["value"] if v["image_name"] != image["image_name"]]
        elif kind == "BoardField" and context.boards is not None and isinstance(value, dict) \
                and isinstance(value.get("board_id"), str) and value["board_id"].strip():
            if value["board_id"] not in boards:
                add(Note("reset", f"Unable to find board {value['board_id']}, resetting to default (auto)",
                         node_id, name))
                del field["value"]
        elif kind in MODEL_FIELD_TYPES and context.models is not None and _is_model(value) \
                and value["key"] not in models:
            add(Note("reset", f"Unable to find model {value['key']}, resetting to default (unset: "
                              f"{value.get('name')!r} is not installed here)", node_id, name))
            del field["value"]


def check_nodes(raw: dict[str, Any], templates: dict[str, NodeTemplate], context: ServerContext,
                add: Callable[[Note], None]) -> None:
    """Update, check and reset every invocation node of ``raw`` in place, as the UI does on load."""
    for node in raw["nodes"]:
        if not is_invocation(node):
            continue
        data = node["data"]
        template = templates.get(data["type"])
        if template is None:
            add(Note("warning", f"Invalid node: node {node['id']} of type {data['type']} missing template "
                                "(not installed?)", node["id"]))
            continue
        if data.get("version") != template.version:
            connected = {e["targetHandle"] for e in raw["edges"]
                         if e.get("type") == "default" and e["target"] == node["id"]}
            updated = update_node(node, template, connected)
            if updated is None:
                _blocked_or_warn(node, template, add)
            else:
                added = [k for k in updated["inputs"] if k not in data["inputs"]]
                removed = [k for k in data["inputs"] if k not in updated["inputs"]]
                add(Note("updated", f"node updated from version {data.get('version')} to {template.version}"
                         + (f"; new inputs with their defaults: {', '.join(added)}" if added else "")
                         + (f"; inputs the template lacks removed: {', '.join(removed)}" if removed else ""),
                         node["id"]))
                node["data"] = data = updated
        _access(data, template, node, context, add)


def _blocked_or_warn(node: dict[str, Any], template: NodeTemplate, add: Callable[[Note], None]) -> None:
    data = node["data"]
    reason = (f"Node update failed: node {node['id']} of type {data['type']} (may require deleting and "
              f"recreating): its version {data.get('version')} and the server's {template.version} differ "
              "in their major version")
    stale = [k for k in data["inputs"] if input_template(node, template, k) is None
             and data["type"] not in EXTRA_INPUT_NODE_TYPES]
    if stale:
        add(Note("blocked", f"{reason}; its inputs {', '.join(map(repr, stale))} have no field template on this "
                            "server ('Missing field template'), so InvokeAI cannot invoke it; replace the node in "
                            "InvokeAI's editor", node["id"]))
        return
    add(Note("warning", f"{reason}; kept as it is (all its inputs still exist)", node["id"]))


