"""Which cell goes where on an X/Y/Z grid: cells, axis values in sweep order, their coordinates.

Kept apart from the drawing so the arrangement (the part with rules and errors) is checked on
its own: axis values keep the order in which they first appear (the sweep's order), every cell
must have a value for each axis, and two results on one spot are refused, naming the values that
tell them apart, since silently drawing one of them would hide a result.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from PIL import Image

from invokekit.errors import ParameterError
from invokekit.explore._plan import is_expensive
from invokekit.explore._values import Value

CellImage = str | os.PathLike[str] | Image.Image | None


@dataclass(frozen=True)
class GridCell:
    """One result on a grid: the values that made it, its image (None when it has none), status."""

    values: Mapping[str, Value]
    image: CellImage = None
    status: str = "completed"

    @property
    def ok(self) -> bool:
        return self.status == "completed" and self.image is not None


CellLike = GridCell | tuple[Mapping[str, Value], CellImage] | tuple[Mapping[str, Value], CellImage, str]


def as_cell(cell: CellLike) -> GridCell:
    """A :class:`GridCell` from itself or from a ``(values, image[, status])`` tuple."""
    if isinstance(cell, GridCell):
        return cell
    if isinstance(cell, tuple) and len(cell) in (2, 3) and isinstance(cell[0], Mapping):
        return GridCell(*cell)
    raise ParameterError(f"a grid cell is a GridCell or a (values, image, status) tuple, got {cell!r}")


def value_key(value: Value) -> str:
    """A hashable key for a value (dicts and lists too); 1 and 1.0 stay distinct, as written."""
    return json.dumps(value, sort_keys=True, default=str)


@dataclass(frozen=True)
class Axis:
    """One grid axis: the parameter name and its values in the order they first appear."""

    name: str
    values: list[Value] = field(default_factory=list)
    _positions: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._positions.update({value_key(v): i for i, v in reversed(list(enumerate(self.values)))})

    def index(self, value: Value) -> int:
        return self._positions[value_key(value)]


def _axis(name: str, cells: Sequence[GridCell]) -> Axis:
    seen: dict[str, Value] = {}
    for cell in cells:
        if name not in cell.values:
            common = set.intersection(*(set(c.values) for c in cells))
            raise ParameterError(f"grid axis {name!r}: a result has no value for it",
                                 candidates=sorted(common), name=name)
        seen.setdefault(value_key(cell.values[name]), cell.values[name])
    return Axis(name, list(seen.values()))


@dataclass(frozen=True)
class Arrangement:
    """The axes and, for each z value, the cell at each (x, y) index (None where none is)."""

    x: Axis
    y: Axis | None
    z: Axis | None
    pages: list[dict[tuple[int, int], GridCell]]


def _differing(a: GridCell, b: GridCell) -> list[str]:
    names = set(a.values) | set(b.values)
    return sorted(n for n in names if value_key(a.values.get(n)) != value_key(b.values.get(n)))


def arrange(cells: Iterable[CellLike], x: str, y: str | None = None, z: str | None = None) -> Arrangement:
    """Place every cell by its values of ``x``, ``y`` and ``z``; see the module's docstring."""
    items = [as_cell(c) for c in cells]
    if not items:
        raise ParameterError("a grid needs at least one result")
    names = [n for n in (x, y, z) if n is not None]
    if len(set(names)) != len(names):
        raise ParameterError(f"grid axes must differ, got x={x!r}, y={y!r}, z={z!r}")
    ax, ay, az = _axis(x, items), _axis(y, items) if y else None, _axis(z, items) if z else None
    pages: list[dict[tuple[int, int], GridCell]] = [{} for _ in (az.values if az else [None])]
    for cell in items:
        spot = (ax.index(cell.values[x]), ay.index(cell.values[y]) if ay and y else 0)
        page = pages[az.index(cell.values[z]) if az and z else 0]
        if spot in page:
            other = page[spot]
            differ = _differing(other, cell)
            where = ", ".join(f"{n}={cell.values[n]!r}" for n in names)
            hint = (f"they differ in {', '.join(differ)}: make one of those an axis" if differ
                    else "their values are identical (several runs?)")
            raise ParameterError(f"two results fall on one grid cell ({where}); {hint}", candidates=differ)
        page[spot] = cell
    return Arrangement(ax, ay, az, pages)


def grid_axes(names: Sequence[str]) -> tuple[str, str | None, str | None]:
    """Choose ``(x, y, z)`` for the swept ``names``: cheap axes innermost (x, then y), expensive
    ones (models) outermost, so one page holds one model: ``[seed, cfg_scale]`` gives x=seed,
    y=cfg_scale; ``[model, seed, cfg_scale]`` gives z=model."""
    if not names:
        raise ParameterError("a grid needs at least one swept parameter")
    if len(names) > 3:
        raise ParameterError(f"a grid shows at most 3 axes (x, y, z); {len(names)} are swept: choose them",
                             candidates=list(names))
    cheap = [n for n in names if not is_expensive(n)]
    costly = [n for n in names if is_expensive(n)]
    slots = cheap + costly[::-1]  # innermost first: the first expensive axis is the outermost
    return slots[0], slots[1] if len(slots) > 1 else None, slots[2] if len(slots) > 2 else None


__all__ = ["Arrangement", "Axis", "CellImage", "CellLike", "GridCell", "arrange", "as_cell", "grid_axes", "value_key"]
