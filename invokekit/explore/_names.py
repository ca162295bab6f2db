"""File names people can read, made from a template and the values of a result.

``--name "{seed}-{cfg_scale}-{node}"`` turns the values that made an image into its file name, so
a folder of sweep results reads like a table. A name is made in three steps, each its own
function: :func:`format_name` fills the template (format specs work: ``{seed:05d}``,
``{cfg_scale:.1f}``), :func:`safe_file_name` makes the text a safe, portable file name, and
:func:`unique_name` adds ``-2``, ``-3``... so nothing already taken is ever overwritten.
:class:`FileNamer` does all three for a run and remembers the names it gave.

Safe means: no path separators, no ``..``, no control characters, nothing starting with ``.``,
``-`` or ``~``, no characters Windows forbids, no reserved Windows device names, and at most
``max_bytes`` of UTF-8: every name passes ``invokekit.results.check_image_name``.
"""

from __future__ import annotations

import os
import re
import string
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from invokekit.errors import ParameterError
from invokekit.explore._values import Value, display_value, has_lone_surrogate

#: the placeholders every result offers besides its values
EXTRA_NAMES = ("node", "item_id", "batch_id", "index")
MAX_BYTES = 150
_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]')
_RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.IGNORECASE)
_EXT = re.compile(r"\.[A-Za-z0-9]{1,10}")


def _lookup(field: str, available: Mapping[str, Value], template: str) -> Value:
    if not field:
        raise ParameterError(f"file name template {template!r}: every placeholder needs a name, as {{seed}}",
                             candidates=sorted(available))
    if field not in available:
        raise ParameterError(f"file name template {template!r}: unknown placeholder {{{field}}}",
                             candidates=sorted(available), name=field)
    return available[field]


def _shorten(text: str, limit: int | None) -> str:
    """``text`` cut to ``limit`` characters, at a word break when one is near the end."""
    if limit is None or len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return (cut[:space] if space >= limit // 2 else cut).rstrip()


def _render(value: Value, spec: str, conversion: str | None, field: str, template: str, limit: int | None,
            names: list[str]) -> str:
    shown: object = value if isinstance(value, int | float) and not isinstance(value, bool) else display_value(value)
    if conversion == "r":
        shown = repr(value)
    elif conversion == "a":
        shown = ascii(value)
    try:
        text = format(shown, spec)
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"file name template {template!r}: {{{field}:{spec}}} does not fit the value "
                             f"{value!r} ({exc})", candidates=names) from None
    return _shorten(text, limit)


def format_name(
    template: str,
    values: Mapping[str, Value],
    *,
    node: str | None = None,
    item_id: int | None = None,
    batch_id: str | None = None,
    index: int | None = None,
    value_chars: int | None = None,
) -> str:
    """``template`` filled from ``values`` and the result's node label, item id, batch id and index.

    Placeholders name a value exactly (``{seed}``, or ``{noise.seed}`` for a raw graph). One that
    is not there raises :class:`ParameterError` listing the names that are. ``value_chars`` cuts
    each value to that many characters (the default name uses it, so a long prompt stays short).
    The text is not yet a safe file name: see :func:`safe_file_name`.
    """
    extras = {"node": node, "item_id": item_id, "batch_id": batch_id, "index": index}
    available: dict[str, Value] = {k: v for k, v in extras.items() if v is not None}
    available.update(values)
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ParameterError(f"file name template {template!r} is malformed ({exc}); "
                             "write {{ and }} for literal braces", candidates=sorted(available)) from None
    out: list[str] = []
    for literal, field, spec, conversion in parts:
        out.append(literal)
        if field is not None:
            value = _lookup(field, available, template)
            out.append(_render(value, spec or "", conversion, field, template, value_chars, sorted(available)))
    return "".join(out)


def check_template(template: str, names: Iterable[str]) -> None:
    """Raise :class:`ParameterError` when ``template`` names a placeholder that is neither one of
    ``names`` nor an extra (node, item_id, batch_id, index): checked before a batch is sent."""
    available = {**dict.fromkeys(names, ""), **dict.fromkeys(EXTRA_NAMES, "")}
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ParameterError(f"file name template {template!r} is malformed ({exc}); "
                             "write {{ and }} for literal braces", candidates=sorted(available)) from None
    for _literal, field, _spec, _conversion in parts:
        if field is not None:
            _lookup(field, available, template)


def _cut_bytes(text: str, max_bytes: int) -> str:
    data = text.encode("utf-8")
    return text if len(data) <= max_bytes else data[:max_bytes].decode("utf-8", errors="ignore")


def _tidy(stem: str) -> str:
    stem = re.sub(r"\.{2,}", ".", stem)
    stem = re.sub(r"_{2,}", "_", stem)
    return stem.lstrip(".-~_ ").rstrip(". _")


def safe_file_name(text: str, *, ext: str = "", max_bytes: int = MAX_BYTES) -> str:
    """``text`` as a safe, portable file name ending in ``ext`` (such as ``".png"``).

    Whitespace becomes ``_``, forbidden characters become ``_``, runs of dots become one dot, and
    the name is cut to ``max_bytes`` of UTF-8 (``ext`` included). Empty text gives ``"image"``.
    """
    if ext and not _EXT.fullmatch(ext):
        raise ParameterError(f"file extension {ext!r} must be a dot and up to 10 letters or digits")
    stem = unicodedata.normalize("NFC", text)
    stem = "".join("_" if has_lone_surrogate(ch) else ch for ch in stem)
    stem = _UNSAFE.sub("_", re.sub(r"\s+", "_", stem))
    stem = _tidy(_cut_bytes(_tidy(stem), max(1, max_bytes - len(ext.encode()))))
    if not stem:
        stem = "image"
    if _RESERVED.fullmatch(stem):
        stem = "_" + stem
    return stem + ext


def _split_ext(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    return (stem, dot + ext) if dot and stem and _EXT.fullmatch(dot + ext) else (name, "")


def unique_name(
    name: str,
    taken: Iterable[str] = (),
    *,
    folder: str | os.PathLike[str] | None = None,
    max_bytes: int = MAX_BYTES,
) -> str:
    """``name``, or ``stem-2.ext``, ``stem-3.ext``... the first that is neither ``taken`` nor a file
    in ``folder``. Names compare case-insensitively, as on macOS and Windows file systems."""
    used = {t.casefold() for t in taken}
    where = Path(folder) if folder is not None else None
    stem, ext = _split_ext(name)
    candidate, number = name, 1
    while candidate.casefold() in used or (where is not None and (where / candidate).exists()):
        number += 1
        suffix = f"-{number}{ext}"
        candidate = _cut_bytes(stem, max_bytes - len(suffix.encode())) + suffix
    return candidate


def default_template(swept: Sequence[str], *, id_field: str | None = "item_id", node: bool = True) -> str:
    """The default name: ``{item_id}-{node}`` and each swept value as ``name=value``.

    The item id keeps it unique on the server; the swept values make it readable, e.g.
    ``57-l2i-seed=1-cfg_scale=7.png``. ``id_field`` may be ``"index"`` or None when no id is known.
    """
    parts = ([f"{{{id_field}}}"] if id_field else []) + (["{node}"] if node else [])
    parts += [f"{name.rpartition('.')[2]}={{{name}}}" for name in swept]
    return "-".join(parts) or "image"


class FileNamer:
    """Names for the files of one run: from a template (or the default), safe, never reused.

    ``folder`` is where the files go: names of files already there count as taken, so an earlier
    run's images are never overwritten. ``swept`` lists the swept names the default shows.
    """

    def __init__(
        self,
        template: str | None = None,
        *,
        swept: Sequence[str] = (),
        folder: str | os.PathLike[str] | None = None,
        taken: Iterable[str] = (),
        max_bytes: int = MAX_BYTES,
    ) -> None:
        self.template = template
        self.swept = list(swept)
        self.folder = Path(folder) if folder is not None else None
        self.max_bytes = max_bytes
        self.taken: set[str] = set(taken)

    def name(
        self,
        values: Mapping[str, Value],
        *,
        node: str | None = None,
        item_id: int | None = None,
        batch_id: str | None = None,
        index: int | None = None,
        ext: str = ".png",
    ) -> str:
        """The next file name for an image made with ``values`` by ``node``; recorded as taken."""
        template = self.template
        limit = None
        if template is None:
            # a sweep's index when it has one (a pool's items come from several servers' id ranges)
            id_field = "index" if index is not None else "item_id" if item_id is not None else None
            swept = [n for n in self.swept if n in values]
            template = default_template(swept, id_field=id_field, node=node is not None)
            limit = 32
        text = format_name(template, values, node=node, item_id=item_id, batch_id=batch_id, index=index,
                           value_chars=limit)
        name = unique_name(safe_file_name(text, ext=ext, max_bytes=self.max_bytes), self.taken,
                           folder=self.folder, max_bytes=self.max_bytes)
        self.taken.add(name)
        return name


__all__ = ["EXTRA_NAMES", "FileNamer", "check_template", "default_template", "format_name", "safe_file_name",
           "unique_name"]
