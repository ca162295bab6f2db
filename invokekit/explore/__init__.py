"""Exploring a model: sweep syntax, zipped sweeps, readable file names, X/Y/Z grids, presets,
InvokeAI style presets and dynamic prompts.

These are the pure building blocks; the CLI (``--sweep``, ``--zip``, ``--name``, ``--grid``,
``--preset``), ``Job.grid`` and the panel call them, so each rule is decided here once:

>>> parse_sweep("cfg_scale", "1-2 (+0.25)")
[1.0, 1.25, 1.5, 1.75, 2.0]
>>> plan_sweeps({"seed": [1, 2]}, {"positive_prompt": ["a cat", "a dog"], "cfg_scale": [3, 7]}).count
4
>>> FileNamer("{seed}-{node}").name({"seed": 7}, node="l2i")
'7-l2i.png'
"""

from invokekit.explore._dynamic import DynamicPrompts, Expansion, expand_prompt, has_dynamic_syntax
from invokekit.explore._grid import Grid, make_grid, read_grid_info
from invokekit.explore._grid_cells import GridCell, grid_axes
from invokekit.explore._names import FileNamer, format_name, safe_file_name, unique_name
from invokekit.explore._plan import SweepPlan, order_axes, plan_sweeps
from invokekit.explore._presets import delete_preset, list_presets, load_preset, presets_dir, save_preset
from invokekit.explore._style_presets import apply_style_preset, find_style_preset
from invokekit.explore._sweep import Kind, kind_for_schema, parse_sweep
from invokekit.explore._values import Value

__all__ = [
    "DynamicPrompts",
    "Expansion",
    "FileNamer",
    "Grid",
    "GridCell",
    "Kind",
    "SweepPlan",
    "Value",
    "apply_style_preset",
    "delete_preset",
    "expand_prompt",
    "find_style_preset",
    "format_name",
    "grid_axes",
    "has_dynamic_syntax",
    "kind_for_schema",
    "list_presets",
    "load_preset",
    "make_grid",
    "order_axes",
    "parse_sweep",
    "plan_sweeps",
    "presets_dir",
    "read_grid_info",
    "safe_file_name",
    "save_preset",
    "unique_name",
]
