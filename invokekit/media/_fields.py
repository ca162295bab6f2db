"""Which workflow fields take images or videos, and what a value given to one becomes.

An image field holds ``{"image_name": name}``, an image collection a list of those, a video
field ``{"video_name": name}`` (InvokeAI's ``ImageField`` / ``VideoField``). Given a path, a PIL
image, a numpy array or bytes, :func:`media_value` builds that shape around a checked
:class:`LocalMedia` (uploaded at submit); a plain string that is not a local file is a
server-side name, as before, and is checked against the server when the workflow knows one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from invokekit.media._local import LocalMedia, MediaError, MediaKind, expand_paths, is_local_value, local_media

if TYPE_CHECKING:
    from invokekit.workflow._nodes import Place
    from invokekit.workflow._workflow import Workflow

#: the key of the dict a media field holds
NAME_KEY: dict[MediaKind, str] = {"image": "image_name", "video": "video_name"}
_REFS: dict[str, MediaKind] = {"#/components/schemas/ImageField": "image", "#/components/schemas/VideoField": "video"}


def _schema_kind(prop: Any, many: bool = False) -> tuple[MediaKind, bool] | None:
    if isinstance(prop, dict):
        if prop.get("$ref") in _REFS:
            return _REFS[prop["$ref"]], many
        for key, sub in prop.items():
            found = _schema_kind(sub, many or key == "items")
            if found:
                return found
    elif isinstance(prop, list):
        for sub in prop:
            found = _schema_kind(sub, many)
            if found:
                return found
    return None


def _current_kind(current: Any) -> tuple[MediaKind, bool] | None:
    for kind, key in NAME_KEY.items():
        if isinstance(current, dict) and key in current:
            return kind, False
        if isinstance(current, list) and current and all(isinstance(c, dict) and key in c for c in current):
            return kind, True
    return None


def media_field(wf: Workflow, place: Place) -> tuple[MediaKind, bool] | None:
    """``(kind, takes a list)`` of the media field at ``place``; None when it is no media field.

    By the server's schema when the workflow has a context, else by the value the field holds.
    """
    node = wf._state()[0].nodes[place.node_id]
    context = wf.context
    if context is not None and context.schema:
        prop = context.input_schema(node["data"]["type"], place.field)
        if prop is not None:
            return _schema_kind(prop)
    return _current_kind(node["data"]["inputs"][place.field].get("value"))


def _where(wf: Workflow, place: Place) -> dict[str, Any]:
    return {"file": wf.file, "node_id": place.node_id, "node_label": wf.node_label(place.node_id), "field": place.field}


def _one(wf: Workflow, value: Any, kind: MediaKind, place: Place) -> Any:
    key, where = NAME_KEY[kind], _where(wf, place)
    if isinstance(value, dict) and key in value:
        return value
    if isinstance(value, dict) and NAME_KEY["video" if kind == "image" else "image"] in value:
        raise MediaError(f"{value!r} is not a {kind}", **where)
    if isinstance(value, str) and not isinstance(value, LocalMedia):
        path = os.path.expanduser(value)
        looks_local = os.path.exists(path) or os.sep in value or "/" in value or value.startswith(("~", "."))
        if not looks_local:
            exists = getattr(wf.context, "image_exists", None) if kind == "image" else None
            if exists is not None and not exists(value):
                raise MediaError(f"no local file {value!r} and no image of that name on the server", **where)
            return {key: value}
        value = path
    if isinstance(value, LocalMedia) or is_local_value(value) or isinstance(value, str):
        return {key: local_media(value, kind, **where)}
    raise MediaError(f"cannot use a {type(value).__name__} as a {kind}", **where)


def media_value(wf: Workflow, value: Any, places: Sequence[Place]) -> Any:
    """``value`` in the shape the media fields at ``places`` hold (unchanged for other fields)."""
    kinds = [media_field(wf, p) for p in places]
    if value is None or not kinds or any(k is None for k in kinds):
        return value
    kind, many = kinds[0]  # type: ignore[misc]
    if many:
        items = value if isinstance(value, list | tuple) else [value]
        return [_one(wf, v, kind, places[0]) for x in items for v in expand_paths(x, kind)]
    return _one(wf, value, kind, places[0])


def media_sweep(wf: Workflow, values: Any, places: Sequence[Place]) -> Any:
    """Sweep values for media fields: folders and globs become their files, each a media value."""
    kinds = [media_field(wf, p) for p in places]
    if not kinds or any(k is None for k in kinds) or any(k[1] for k in kinds if k):
        return values
    kind = kinds[0][0]  # type: ignore[index]
    items = values if isinstance(values, list | tuple) else [values]
    expanded = [v for x in items for v in expand_paths(x, kind)]
    if not expanded:
        raise MediaError(f"no {kind} files in {values!r}", **_where(wf, places[0]))
    return [_one(wf, v, kind, places[0]) for v in expanded]


__all__ = ["NAME_KEY", "media_field", "media_sweep", "media_value"]
