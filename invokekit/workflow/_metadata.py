"""``metadata=True``: a ``core_metadata`` node wired into the output nodes, as the UI builds it.

InvokeAI's own graph builders (``MetadataUtil`` in the frontend's ``nodes/util/graph``) add one
node ``{"id": "core_metadata", "type": "core_metadata", ...}`` holding the generation parameters
(positive_prompt, seed, cfg_scale, steps, scheduler, model, vae, width, height ...) and connect its
``metadata`` output to the ``metadata`` input of the image-saving nodes; the server then embeds
``invokeai_metadata`` in each image and ``GET images/i/{name}/metadata`` returns it, which the UI's
"recall parameters" reads. A swept parameter is zipped with its metadata field in the same batch
data group, so each image records its own value. Without ``metadata`` the graph is left exactly
as the UI's workflow editor makes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from invokekit.workflow._api_json import datum

if TYPE_CHECKING:
    from invokekit.workflow._batch import Batch
    from invokekit.workflow._context import ServerContext

METADATA_NODE = "core_metadata"
#: the parameters a core_metadata node records that friendly names (aliases) can hold
METADATA_FIELDS = ("positive_prompt", "negative_prompt", "width", "height", "seed", "cfg_scale",
                   "cfg_rescale_multiplier", "steps", "scheduler", "clip_skip", "model", "vae")


def add_metadata(batch: Batch, names: Mapping[str, Sequence[tuple[str, str]]],
                 context: ServerContext | None = None) -> Batch:
    """Add the metadata node to ``batch`` from the values at ``names`` (friendly name -> places)
    and wire it into every output node that takes ``metadata``; returns ``batch``."""
    templates = (context.templates() if context is not None else None) or {}
    known = set((templates.get(METADATA_NODE) or {}).get("properties") or METADATA_FIELDS)
    fields = [n for n in METADATA_FIELDS if n in known and n in names]
    nodes = batch.graph["nodes"]
    values = {}
    for name in fields:
        for node_id, field in names[name]:
            if field in (nodes.get(node_id) or {}):
                values[name] = nodes[node_id][field]
                break
    batch.add_node(METADATA_NODE, METADATA_NODE, is_intermediate=True, **values)
    for node_id in batch.output_nodes:
        if node_id == METADATA_NODE:
            continue
        props = (templates.get(str(nodes[node_id].get("type"))) or {}).get("properties")
        if (props is None or "metadata" in props) and not _fed(batch, node_id):
            batch.add_edge(METADATA_NODE, "metadata", node_id, "metadata")
    by_place = {tuple(p): name for name in fields for p in names[name]}
    for inner in batch._body.get("data") or []:
        recorded = {d["field_name"] for d in inner if d["node_path"] == METADATA_NODE}
        for entry in list(inner):
            name = by_place.get((entry["node_path"], entry["field_name"]))
            if name is not None and name not in recorded:
                inner.append(datum(METADATA_NODE, name, list(entry["items"])))
                recorded.add(name)
    return batch


def _fed(batch: Batch, node_id: str) -> bool:
    return any(e["destination"]["node_id"] == node_id and e["destination"]["field"] == "metadata"
               for e in batch.graph["edges"])


__all__ = ["METADATA_FIELDS", "METADATA_NODE", "add_metadata"]
