"""X/Y/Z grids: geometry, legends, failed cells, pages per Z value, metadata that round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from invokekit.errors import ParameterError
from invokekit.explore import Grid, GridCell, grid_axes, make_grid, read_grid_info

SEEDS, CFGS = [3, 1, 2], [7.5, 3]  # not sorted: the grid keeps the sweep's order


def _colour(seed: int, cfg: float) -> tuple[int, int, int]:
    return (seed * 70, int(cfg * 30), 90)


def _cells(failed: tuple[int, float] | None = None, size: tuple[int, int] = (64, 64)) -> list[GridCell]:
    cells = []
    for cfg in CFGS:
        for seed in SEEDS:
            bad = (seed, cfg) == failed
            image = None if bad else Image.new("RGB", size, _colour(seed, cfg))
            status = "failed" if bad else "completed"
            cells.append(GridCell({"seed": seed, "cfg_scale": cfg, "steps": 4}, image, status))
    return cells


def test_geometry_fits_the_cells_plus_legends() -> None:
    grid = make_grid(_cells(), x="seed", y="cfg_scale", title="a sweep")
    [page] = grid.pages
    info = page.info
    layout = info["layout"]
    assert (layout["cell_width"], layout["cell_height"]) == (64, 64)
    left, top, gap = layout["left"], layout["top"], layout["gap"]
    assert left > 0 and top > 0  # room for the row legend, the title and the column legend
    assert page.image.size == (left + 3 * 64 + 4 * gap, top + 2 * 64 + 3 * gap)
    # each cell holds its own image, in sweep order: x = seed 3, 1, 2; y = cfg 7.5, 3
    for row, cfg in enumerate(CFGS):
        for column, seed in enumerate(SEEDS):
            x0 = left + gap + column * (64 + gap)
            y0 = top + gap + row * (64 + gap)
            assert page.image.getpixel((x0 + 32, y0 + 32)) == _colour(seed, cfg)
    assert info["x"] == {"name": "seed", "values": SEEDS} and info["y"] == {"name": "cfg_scale", "values": CFGS}


def test_legends_are_drawn_and_scale_with_the_cells() -> None:
    small = make_grid(_cells(), x="seed", y="cfg_scale").pages[0]
    large = make_grid(_cells(size=(256, 256)), x="seed", y="cfg_scale").pages[0]
    assert large.info["layout"]["cell_width"] == 256
    for page in (small, large):
        layout = page.info["layout"]
        legend = page.image.crop((0, layout["top"], layout["left"], page.image.height))
        header = page.image.crop((layout["left"], 0, page.image.width, layout["top"]))
        for band in (legend, header):  # ink, not just white
            assert band.convert("L").getextrema()[0] < 100
    assert large.info["layout"]["top"] > small.info["layout"]["top"]  # larger text on larger cells


def test_failed_cells_are_crossed_out_and_recorded() -> None:
    page = make_grid(_cells(failed=(1, 3)), x="seed", y="cfg_scale").pages[0]
    layout = page.info["layout"]
    assert page.info["status"] == [["completed"] * 3, ["completed", "failed", "completed"]]
    gap = layout["gap"]
    x0, y0 = layout["left"] + gap + 1 * (64 + gap), layout["top"] + gap + 1 * (64 + gap)
    diagonal = [page.image.getpixel((x0 + i, y0 + i)) for i in range(4, 20)]
    assert all(r > 150 and g < 80 for r, g, _ in diagonal)  # the red cross
    assert page.image.getpixel((x0 + 60, y0 + 30))[:2] == (255, 232)  # the pale red ground, not an image


def test_missing_combinations_and_unreadable_images(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    cells = [({"seed": 1, "cfg": 3}, Image.new("RGB", (32, 32)), "completed"), ({"seed": 2, "cfg": 7}, broken)]
    page = make_grid(cells, "seed", "cfg").pages[0]
    assert page.info["status"] == [["completed", "missing"], ["missing", "unreadable"]]


def test_one_page_per_z_value_saved_with_metadata(tmp_path: Path) -> None:
    cells = [GridCell({"seed": s, "model": m}, Image.new("RGB", (48, 32), (s * 50, 0, 0)))
             for m in ["tiny-sdxl", "tiny sd/15"] for s in [1, 2]]
    grid = make_grid(cells, x="seed", z="model", title="models")
    assert len(grid) == 2 and [p.z_value for p in grid.pages] == ["tiny-sdxl", "tiny sd/15"]
    paths = grid.save(tmp_path / "grid.png")
    assert [p.name for p in paths] == ["grid-tiny-sdxl.png", "grid-tiny_sd_15.png"]
    info = read_grid_info(paths[1])
    assert info["z"] == {"name": "model", "values": ["tiny-sdxl", "tiny sd/15"], "value": "tiny sd/15"}
    assert info["x"] == {"name": "seed", "values": [1, 2]} and info["y"] is None and info["title"] == "models"
    with Image.open(paths[0]) as img:
        assert img.size == grid[0].size and json.loads(img.text["invokekit_grid"])["z"]["value"] == "tiny-sdxl"
    assert read_grid_info(grid[0]) == grid.pages[0].info  # in memory too


def test_saving_never_overwrites_unless_asked(tmp_path: Path) -> None:
    grid = make_grid(_cells(), "seed", "cfg_scale")
    first = grid.save(tmp_path / "grid.png")
    second = grid.save(tmp_path / "grid.png")
    assert [p.name for p in first + second] == ["grid.png", "grid-2.png"]
    assert grid.save(tmp_path / "grid.png", overwrite=True) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grid-2.png", "grid.png"]  # no temporary files left


def test_jupyter_shows_grids_inline() -> None:
    one = make_grid(_cells(), "seed", "cfg_scale")
    png = one._repr_png_()
    assert png is not None and png.startswith(b"\x89PNG") and one._repr_html_() is None
    many = make_grid(_cells(), "seed", z="cfg_scale")
    html = many._repr_html_()
    assert many._repr_png_() is None and html is not None and html.count("<img") == 2 and "7.5" in html
    assert isinstance(one, Grid) and all(isinstance(img, Image.Image) for img in many)


def test_cells_are_sized_from_the_largest_image_or_as_asked() -> None:
    cells = [({"seed": 1}, Image.new("RGB", (40, 100))), ({"seed": 2}, Image.new("RGBA", (90, 30)))]
    assert make_grid(cells, "seed").pages[0].info["layout"]["cell_width"] == 90
    page = make_grid(cells, "seed", cell_size=(64, 48)).pages[0]
    assert (page.info["layout"]["cell_width"], page.info["layout"]["cell_height"]) == (64, 48)
    with pytest.raises(ParameterError, match="cell_size"):
        make_grid(cells, "seed", cell_size=4)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"x": "sed"}, "grid axis 'sed'.*did you mean 'seed'"),
        ({"x": "seed", "y": "seed"}, "axes must differ"),
        ({"x": "seed"}, "two results fall on one grid cell.*they differ in cfg_scale"),
    ],
)
def test_bad_axes_are_refused(kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        make_grid(_cells(), **kwargs)


def test_identical_results_on_one_cell_are_explained() -> None:
    cells = [({"seed": 1}, None, "failed"), ({"seed": 1}, None, "failed")]
    with pytest.raises(ParameterError, match="identical"):
        make_grid(cells, "seed")


def test_grid_axes_put_expensive_axes_outermost() -> None:
    assert grid_axes(["seed", "cfg_scale"]) == ("seed", "cfg_scale", None)
    assert grid_axes(["model", "seed", "cfg_scale"]) == ("seed", "cfg_scale", "model")
    assert grid_axes(["model", "seed"]) == ("seed", "model", None)
    assert grid_axes(["vae", "model", "seed"]) == ("seed", "model", "vae")
    with pytest.raises(ParameterError, match="at most 3 axes"):
        grid_axes(["a", "b", "c", "d"])


def test_read_grid_info_refuses_other_images(tmp_path: Path) -> None:
    plain = tmp_path / "plain.png"
    Image.new("RGB", (8, 8)).save(plain)
    with pytest.raises(ParameterError, match="not a grid invokekit made"):
        read_grid_info(plain)


def test_pages_whose_values_read_alike_get_their_own_files(tmp_path: Path) -> None:
    cells = [({"seed": 1, "lora": z}, Image.new("RGB", (16, 16))) for z in ["a/b", "a b"]]
    for overwrite in (False, True):
        paths = make_grid(cells, "seed", z="lora").save(tmp_path / f"o{overwrite}" / "grid.png", overwrite=overwrite)
        assert [p.name for p in paths] == ["grid-a_b.png", "grid-a_b-2.png"]
        assert [read_grid_info(p)["z"]["value"] for p in paths] == ["a/b", "a b"]
