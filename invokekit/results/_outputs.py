"""From a finished queue item to the images of the workflow's own output nodes.

The images of a run are found in the item's own session: each source node of the graph maps to
one or more prepared (executed) node ids through ``session.source_prepared_mapping``, and each
prepared id to its output in ``session.results``; the events say the same thing as it happens
(``invocation_complete`` names the source node and carries the result). Both are decoded into
:class:`~invokekit.api.NodeOutput` values (``QueueItem.outputs``), so a monitor that already saw
them saves a read. Only the output nodes count (never "the newest image on the server", which
could belong to somebody else's job).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from dataclasses import fields as dataclass_fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from invokekit.api._items import NodeOutput, QueueItem

if TYPE_CHECKING:
    from invokekit.media import VideoRef


@dataclass
class ImageRef:
    """One image produced by an output node of a queue item."""

    node_id: str
    node_label: str
    image_name: str
    width: int | None = None
    height: int | None = None
    path: Path | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "node_label": self.node_label,
            "image_name": self.image_name,
            "width": self.width,
            "height": self.height,
            "path": str(self.path) if self.path is not None else None,
        }


@dataclass(frozen=True, kw_only=True)
class ItemResult(QueueItem):
    """The outcome of one queue item: the item as the server left it (status, timestamps, the
    server's error if any) and the images of its output nodes."""

    images: list[ImageRef] = field(default_factory=list)
    #: the videos of its output nodes (:class:`invokekit.media.VideoRef`; ``path`` once downloaded)
    videos: list[VideoRef] = field(default_factory=list)
    #: the parameters that made it, by friendly name (set and swept): ``{"seed": 3, "cfg_scale": 7}``
    values: dict[str, Any] = field(default_factory=dict)
    #: the URL of the server that made it (set by a :class:`~invokekit.pool.Pool`; None otherwise)
    server: str | None = None

    def by_node(self) -> dict[str, list[ImageRef]]:
        """Images keyed by source node id, and also by node label where the label differs."""
        out: dict[str, list[ImageRef]] = {}
        for ref in self.images:
            out.setdefault(ref.node_id, []).append(ref)
        for ref in self.images:
            if ref.node_label != ref.node_id and ref.node_label not in {r.node_id for r in self.images}:
                out.setdefault(ref.node_label, []).append(ref)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "status": self.status,
            "values": dict(self.values),
            "images": [ref.as_dict() for ref in self.images],
            "videos": [ref.as_dict() for ref in self.videos],
            "error_type": self.error_type,
            "error_message": self.error_message,
            "created_at": self.created_at,
            "started_at": self.started_at,
            "completed_at": self.completed_at,
            **({"server": self.server} if self.server is not None else {}),
        }


def default_output_nodes(graph: Mapping[str, Any]) -> list[str]:
    """Nodes of an API graph that keep their results (the fact lives with the graph object,
    :func:`invokekit.workflow._api_json.graph_output_nodes`; imported on use, so that importing
    results does not import the whole workflow package)."""
    from invokekit.workflow._api_json import graph_output_nodes

    return graph_output_nodes(graph)


def _images_of(output: Any) -> list[dict[str, Any]]:
    """The image fields of one invocation output (``image``; or a ``collection`` of images)."""
    if not isinstance(output, Mapping):
        return []
    found: list[dict[str, Any]] = []
    image = output.get("image")
    if isinstance(image, Mapping) and isinstance(image.get("image_name"), str):
        found.append({"image_name": image["image_name"], "width": output.get("width"), "height": output.get("height")})
    collection = output.get("collection")
    if isinstance(collection, list):
        for entry in collection:
            if isinstance(entry, Mapping) and isinstance(entry.get("image_name"), str):
                found.append({"image_name": entry["image_name"], "width": None, "height": None})
    return found


def is_result(output: NodeOutput, output_nodes: Sequence[str] | None) -> bool:
    """Whether ``output``'s images are results: its node is one of ``output_nodes``, or, without
    them, it is not intermediate."""
    return output.node_id in output_nodes if output_nodes is not None else not output.intermediate


def result_images(output: NodeOutput, output_nodes: Sequence[str] | None) -> list[dict[str, Any]]:
    """The images (name, width, height) that ``output`` adds to its item's results."""
    return _images_of(output.result) if is_result(output, output_nodes) else []


def item_result(
    item: Mapping[str, Any] | QueueItem,
    *,
    output_nodes: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
    values: Mapping[str, Any] | None = None,
) -> ItemResult:
    """Build the :class:`ItemResult` of a queue item: a full item (``client.queue.item(id)``), or a
    decoded :class:`QueueItem` whose ``outputs`` are known (e.g. a monitor's final update).

    ``output_nodes`` are the source node ids whose images are the results (default: every node
    that is not intermediate); ``labels`` maps node ids to friendly labels; ``values`` are the
    parameters that made it (the job knows them: :func:`~invokekit.results._values.plan_values`).
    """
    from invokekit.media._videos import video_ref

    labels = labels or {}
    if isinstance(item, QueueItem):
        fields = {f.name: getattr(item, f.name) for f in dataclass_fields(QueueItem)}
        result = ItemResult(**fields, values=dict(values or {}))
    else:
        result = ItemResult.from_api(item, values=dict(values or {}))
    outputs = result.outputs or ()
    order = list(output_nodes) if output_nodes is not None else list(dict.fromkeys(o.node_id for o in outputs))
    by_node: dict[str, list[Any]] = {}
    for output in outputs:
        if is_result(output, output_nodes):
            by_node.setdefault(output.node_id, []).append(output.result)
    for node_id in order:
        for produced in by_node.get(node_id, []):
            video = video_ref(node_id, labels.get(node_id) or node_id, produced)
            if video is not None:
                result.videos.append(video)
            for image in _images_of(produced):
                result.images.append(
                    ImageRef(
                        node_id=node_id,
                        node_label=labels.get(node_id) or node_id,
                        image_name=image["image_name"],
                        width=image["width"],
                        height=image["height"],
                    )
                )
    return result


__all__ = ["ImageRef", "ItemResult", "default_output_nodes", "is_result", "item_result", "result_images"]
