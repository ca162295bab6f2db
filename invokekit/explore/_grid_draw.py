"""Drawing one X/Y/Z grid page with Pillow: geometry, legends, images, failed cells.

The geometry is a small :class:`Layout` computed before anything is drawn, so tests (and anyone
cropping cells out of a saved grid) can rely on exact cell boxes. Labels use Pillow's own font at
a size scaled to the cells (``ImageFont.load_default(size=...)``, Pillow >= 10.1), never smaller
than 12 px, so legends stay readable on 64 px thumbnails; long values wrap, then end in "...".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont, ImageOps, UnidentifiedImageError

from invokekit.explore._grid_cells import Arrangement, GridCell
from invokekit.explore._values import display_value

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont
_BACKGROUND = (255, 255, 255)
_CELL_BG = (238, 238, 238)
_FAILED_BG = (255, 232, 232)
_FAILED_INK = (200, 30, 30)
_INK = (20, 20, 20)
_MUTED = (110, 110, 110)
MAX_LABEL_LINES = 3


def load_font(size: int) -> Font:
    """Pillow's default font at ``size`` px (the fixed bitmap font on Pillow older than 10.1)."""
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # pragma: no cover - Pillow < 10.1 has no size
        return ImageFont.load_default()


def _width(font: Font, text: str) -> float:
    return float(font.getlength(text))


def wrap(text: str, font: Font, width: float, max_lines: int = MAX_LABEL_LINES) -> list[str]:
    """``text`` in lines no wider than ``width`` (long words broken), at most ``max_lines``."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        trial = f"{current} {word}" if current else word
        if _width(font, trial) <= width:
            current = trial
            continue
        if current:
            lines.append(current)
        while len(word) > 1 and _width(font, word) > width:
            cut = 1
            while cut < len(word) and _width(font, word[: cut + 1]) <= width:
                cut += 1
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and _width(font, last + "...") > width:
            last = last[:-1]
        lines = [*lines[: max_lines - 1], last + "..."]
    return lines


@dataclass(frozen=True)
class Layout:
    """Where everything goes on one page; every page of a grid shares it."""

    cell_width: int
    cell_height: int
    columns: int
    rows: int
    gap: int
    left: int  # width of the row legend (y values)
    top: int  # height of the title, the axis line and the column legend (x values)
    header: int  # height of the column legend alone
    font_size: int
    width: int
    height: int

    def cell_box(self, column: int, row: int) -> tuple[int, int, int, int]:
        """The (left, top, right, bottom) pixels of the cell at ``column``, ``row``."""
        x0 = self.left + self.gap + column * (self.cell_width + self.gap)
        y0 = self.top + self.gap + row * (self.cell_height + self.gap)
        return x0, y0, x0 + self.cell_width, y0 + self.cell_height


def line_height(font: Font) -> int:
    box = font.getbbox("Ag|")
    return int(box[3] - box[1]) + max(2, int(box[3] - box[1]) // 4)


def plan_layout(arr: Arrangement, cell: tuple[int, int], font: Font, font_size: int,
                heading: Sequence[str]) -> Layout:
    """The layout for ``arr`` with cells of ``cell`` pixels, under the ``heading`` lines."""
    cw, ch = cell
    pad = max(4, font_size // 3)
    gap = max(2, min(cw, ch) // 32)
    lh = line_height(font)
    columns, rows = len(arr.x.values), len(arr.y.values) if arr.y else 1
    left = gap
    if arr.y is not None:
        limit = max(cw, 6 * font_size)
        widest = max(_width(font, line) for v in arr.y.values for line in wrap(display_value(v), font, limit))
        left = int(widest) + 2 * pad
    header_lines = max(len(wrap(display_value(v), font, cw - 2 * pad)) for v in arr.x.values)
    header = header_lines * lh + 2 * pad
    width = left + columns * cw + (columns + 1) * gap
    heading_lines = sum(len(wrap(text, font, width - 2 * pad)) for text in heading)
    top = heading_lines * lh + 2 * pad + header
    height = top + rows * ch + (rows + 1) * gap
    return Layout(cw, ch, columns, rows, gap, left, top, header, font_size, width, height)


def _centred(draw: ImageDraw.ImageDraw, lines: list[str], box: tuple[float, float, float, float], font: Font,
             fill: tuple[int, int, int]) -> None:
    lh = line_height(font)
    y = (box[1] + box[3]) / 2 - lh * len(lines) / 2
    for line in lines:
        x = (box[0] + box[2]) / 2 - _width(font, line) / 2
        draw.text((x, y), line, font=font, fill=fill)
        y += lh


def _open(image: object) -> Image.Image | None:
    try:
        if isinstance(image, Image.Image):
            img = image.copy()
        else:
            with Image.open(image) as opened:  # type: ignore[arg-type]
                img = opened.copy()
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    if img.mode in ("RGBA", "LA") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, _BACKGROUND)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return img.convert("RGB")


def _mark_failed(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], text: str, font: Font) -> None:
    draw.rectangle(box, fill=_FAILED_BG)
    stroke = max(2, (box[2] - box[0]) // 32)
    draw.line((box[0], box[1], box[2], box[3]), fill=_FAILED_INK, width=stroke)
    draw.line((box[0], box[3], box[2], box[1]), fill=_FAILED_INK, width=stroke)
    lines = wrap(text, font, box[2] - box[0] - 4, 2)
    lh = line_height(font)
    w = max(_width(font, line) for line in lines)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    draw.rectangle((cx - w / 2 - 3, cy - lh * len(lines) / 2 - 2, cx + w / 2 + 3, cy + lh * len(lines) / 2 + 2),
                   fill=_BACKGROUND)
    _centred(draw, lines, box, font, _FAILED_INK)


def draw_cell(canvas: Image.Image, draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int],
              cell: GridCell | None, font: Font) -> str:
    """Draw ``cell`` into ``box``; return its status as drawn ("completed", "failed", "missing"...)."""
    if cell is None:
        draw.rectangle(box, fill=_CELL_BG)
        _centred(draw, ["no result"], box, font, _MUTED)
        return "missing"
    img = _open(cell.image) if cell.ok else None
    if img is None:
        status = cell.status if cell.status != "completed" else ("unreadable" if cell.image is not None else "no image")
        _mark_failed(draw, box, status, font)
        return status
    draw.rectangle(box, fill=_CELL_BG)
    fitted = ImageOps.contain(img, (box[2] - box[0], box[3] - box[1]))
    left = box[0] + (box[2] - box[0] - fitted.width) // 2
    canvas.paste(fitted, (left, box[1] + (box[3] - box[1] - fitted.height) // 2))
    return "completed"


def draw_page(arr: Arrangement, page: int, layout: Layout, font: Font,
              heading: Sequence[str]) -> tuple[Image.Image, list[list[str]]]:
    """One page: the heading, both legends and every cell; also each cell's status, row by row."""
    canvas = Image.new("RGB", (layout.width, layout.height), _BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    pad, lh = max(4, layout.font_size // 3), line_height(font)
    y = pad
    for i, text in enumerate(heading):
        lines = wrap(text, font, layout.width - 2 * pad)
        _centred(draw, lines, (0, y, layout.width, y + lh * len(lines)), font, _INK if i == 0 else _MUTED)
        y += lh * len(lines)
    header_top = layout.top - layout.header
    for column, value in enumerate(arr.x.values):
        x0, _, x1, _ = layout.cell_box(column, 0)
        lines = wrap(display_value(value), font, layout.cell_width - 2 * pad)
        _centred(draw, lines, (x0, header_top, x1, layout.top), font, _INK)
    if arr.y is not None:
        limit = max(layout.cell_width, 6 * layout.font_size)
        for row, value in enumerate(arr.y.values):
            _, y0, _, y1 = layout.cell_box(0, row)
            lines = wrap(display_value(value), font, limit, max(1, min(MAX_LABEL_LINES, layout.cell_height // lh)))
            _centred(draw, lines, (0, y0, layout.left, y1), font, _INK)
    statuses = [[draw_cell(canvas, draw, layout.cell_box(c, r), arr.pages[page].get((c, r)), font)
                 for c in range(layout.columns)] for r in range(layout.rows)]
    return canvas, statuses


__all__ = ["Layout", "draw_page", "load_font", "plan_layout", "wrap"]
