"""X/Y/Z grids of results: ``make_grid(cells, x="seed", y="cfg_scale")`` -> a :class:`Grid`.

A grid is how people compare a sweep: one image per Z value, X values across, Y values down,
legends on both axes, failed cells crossed out so a gap is never mistaken for a result. The grid
shows inline in Jupyter (``_repr_png_`` for one page, ``_repr_html_`` for several) and saves as
PNG files whose ``invokekit_grid`` text chunk records the axes, their values, the cell geometry
and each cell's status, so a saved grid can be read back without guessing
(:func:`read_grid_info`).
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, PngImagePlugin

from invokekit.errors import ParameterError
from invokekit.explore._grid_cells import Arrangement, Axis, CellLike, arrange
from invokekit.explore._grid_draw import draw_page, load_font, plan_layout
from invokekit.explore._names import safe_file_name, unique_name
from invokekit.explore._values import Value, display_value

INFO_KEY = "invokekit_grid"
DEFAULT_CELL = 128


@dataclass(frozen=True)
class GridPage:
    """One page of a grid: its image, the Z value it shows (None without a Z axis), its record."""

    image: Image.Image
    z_value: Value | None
    info: dict[str, object]

    def png(self) -> bytes:
        buf = io.BytesIO()
        self.image.save(buf, format="PNG", pnginfo=_pnginfo(self.info))
        return buf.getvalue()


def _pnginfo(info: dict[str, object]) -> PngImagePlugin.PngInfo:
    chunk = PngImagePlugin.PngInfo()
    chunk.add_text(INFO_KEY, json.dumps(info, default=str))
    return chunk


class Grid:
    """The pages of one X/Y/Z grid; iterate for the PIL images, ``save`` to write them."""

    def __init__(self, pages: list[GridPage], title: str | None = None) -> None:
        self.pages = pages
        self.title = title

    @property
    def images(self) -> list[Image.Image]:
        return [page.image for page in self.pages]

    def __len__(self) -> int:
        return len(self.pages)

    def __iter__(self) -> Iterator[Image.Image]:
        return iter(self.images)

    def __getitem__(self, index: int) -> Image.Image:
        return self.pages[index].image

    def __repr__(self) -> str:
        sizes = ", ".join(f"{p.image.width}x{p.image.height}" for p in self.pages)
        return f"<Grid {self.title or ''!s} {len(self.pages)} page(s): {sizes}>"

    def _repr_png_(self) -> bytes | None:
        return self.pages[0].png() if len(self.pages) == 1 else None

    def _repr_html_(self) -> str | None:
        if len(self.pages) == 1:
            return None
        figures = []
        for page in self.pages:
            data = base64.b64encode(page.png()).decode("ascii")
            caption = html.escape(display_value(page.z_value))
            figures.append(f'<figure style="display:inline-block;margin:4px"><img src="data:image/png;base64,{data}"/>'
                           f"<figcaption>{caption}</figcaption></figure>")
        return "<div>" + "".join(figures) + "</div>"

    def save(self, path: str | os.PathLike[str] = "grid.png", *, overwrite: bool = False) -> list[Path]:
        """Write every page as PNG: ``path`` for one page, ``<stem>-<z value><suffix>`` for several.

        Files are written whole (a temporary file, then a link or rename); unless ``overwrite``, an
        existing file is never replaced: the page gets the next free ``-2``, ``-3``... name instead.
        """
        target = Path(path)
        suffix = target.suffix or ".png"
        target.parent.mkdir(parents=True, exist_ok=True)
        written: list[Path] = []
        for page in self.pages:
            name = target.name if len(self.pages) == 1 else (
                f"{target.stem}-{safe_file_name(display_value(page.z_value), max_bytes=80)}{suffix}")
            written.append(_write(target.parent, name, page.png(), overwrite, {p.name for p in written}))
        return written


def _write(folder: Path, name: str, data: bytes, overwrite: bool, taken: set[str]) -> Path:
    fd, tmp_name = tempfile.mkstemp(prefix=".invokekit-grid-", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        while True:
            # never two pages of one grid on one name; other files only when not overwriting
            target = folder / unique_name(name, taken, folder=None if overwrite else folder)
            if overwrite:
                os.replace(tmp, target)
                return target
            try:
                os.link(tmp, target)  # fails if the file appeared meanwhile: then take the next name
                return target
            except FileExistsError:
                taken.add(target.name)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _axis_info(axis: Axis | None) -> dict[str, object] | None:
    return None if axis is None else {"name": axis.name, "values": axis.values}


def _cell_size(arr: Arrangement, cell_size: int | tuple[int, int] | None) -> tuple[int, int]:
    if isinstance(cell_size, int):
        cell_size = (cell_size, cell_size)
    if cell_size is not None:
        if len(cell_size) != 2 or any(not isinstance(n, int) or n < 16 for n in cell_size):
            raise ParameterError(f"cell_size must be pixels >= 16 (one number, or width and height), got {cell_size!r}")
        return cell_size
    sizes = []
    for page in arr.pages:
        for cell in page.values():
            if isinstance(cell.image, Image.Image):
                sizes.append(cell.image.size)
            elif cell.ok:
                with contextlib.suppress(OSError, ValueError), Image.open(cell.image) as img:  # type: ignore[arg-type]
                    sizes.append(img.size)
    if not sizes:
        return DEFAULT_CELL, DEFAULT_CELL
    return max(w for w, _ in sizes), max(h for _, h in sizes)


def make_grid(
    cells: Iterable[CellLike],
    x: str,
    y: str | None = None,
    z: str | None = None,
    *,
    title: str | None = None,
    cell_size: int | tuple[int, int] | None = None,
    font_size: int | None = None,
) -> Grid:
    """An X/Y/Z grid of ``cells``, one page per value of ``z``.

    Each cell is a :class:`GridCell` or a ``(values, image, status)`` tuple, where ``image`` is a
    path, a PIL image, or None (a failed result). Axis values keep the order in which they first
    appear. Cells are as large as the largest image unless ``cell_size`` says otherwise; label
    text scales with them (``font_size`` overrides it).
    """
    arr = arrange(cells, x, y, z)
    cw, ch = _cell_size(arr, cell_size)
    size = font_size if font_size is not None else max(12, min(48, min(cw, ch) // 8))
    font = load_font(size)
    axes_text = "; ".join(f"{k}: {a.name}" for k, a in (("x", arr.x), ("y", arr.y)) if a is not None)
    pages: list[GridPage] = []
    z_values: list[Value | None] = list(arr.z.values) if arr.z else [None]
    for number, z_value in enumerate(z_values):
        line = axes_text + (f"; z: {arr.z.name} = {display_value(z_value)}" if arr.z else "")
        heading = [title, line] if title else [line]
        layout = plan_layout(arr, (cw, ch), font, size, heading)
        image, statuses = draw_page(arr, number, layout, font, heading)
        info: dict[str, object] = {
            "version": 1, "title": title, "x": _axis_info(arr.x), "y": _axis_info(arr.y),
            "z": None if arr.z is None else {**(_axis_info(arr.z) or {}), "value": z_value},
            "layout": {"cell_width": cw, "cell_height": ch, "gap": layout.gap, "left": layout.left,
                       "top": layout.top},
            "status": statuses,
        }
        image.info[INFO_KEY] = json.dumps(info, default=str)
        pages.append(GridPage(image, z_value, info))
    return Grid(pages, title)


def read_grid_info(source: str | os.PathLike[str] | Image.Image) -> dict[str, object]:
    """The ``invokekit_grid`` record of a saved grid (or of a page image in memory)."""
    if isinstance(source, Image.Image):
        text = source.info.get(INFO_KEY)
    else:
        try:
            with Image.open(source) as img:
                text = img.info.get(INFO_KEY)
        except (OSError, ValueError) as exc:
            raise ParameterError(f"not a readable image ({exc})", file=str(source)) from None
    if not isinstance(text, str):
        raise ParameterError(f"the image has no {INFO_KEY} record: it is not a grid invokekit made",
                             file=None if isinstance(source, Image.Image) else str(source))
    return dict(json.loads(text))


__all__ = ["INFO_KEY", "Grid", "GridPage", "make_grid", "read_grid_info"]
