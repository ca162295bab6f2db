"""``invokekit preset save|list|show|delete``: named value sets, applied with ``run --preset NAME``.

A preset holds what ``--set`` would (numbers and booleans as such, the rest as text); applied, each
value is typed by the field it goes to, as ``wf.apply(name)`` does in Python, so a preset means
the same from the shell and from a notebook.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from invokekit.cli import split_assignment
from invokekit.explore import delete_preset, list_presets, load_preset, save_preset


def register(subparsers: Any) -> None:
    preset = subparsers.add_parser("preset", help="save, list, show or delete named parameter presets")
    actions = preset.add_subparsers(dest="action", required=True, metavar="ACTION")
    save = actions.add_parser("save", help="save NAME from --set NAME=VALUE options")
    save.add_argument("name", metavar="NAME")
    save.add_argument("--set", dest="sets", action="append", default=[], metavar="NAME=VALUE", required=True)
    save.add_argument("--no-overwrite", action="store_true", help="refuse to replace an existing preset")
    save.set_defaults(func=cmd_save)
    actions.add_parser("list", help="the saved presets").set_defaults(func=cmd_list)
    show = actions.add_parser("show", help="print a preset's values as JSON")
    show.add_argument("name", metavar="NAME")
    show.set_defaults(func=cmd_show)
    delete = actions.add_parser("delete", help="delete a preset")
    delete.add_argument("name", metavar="NAME")
    delete.set_defaults(func=cmd_delete)


def _typed(text: str) -> str | int | float | bool:
    """A number or boolean as such (``cfg_scale = 6`` in the file), anything else as the text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return value if isinstance(value, int | float | bool) else text


def cmd_save(args: argparse.Namespace) -> int:
    values = {k: _typed(v) for k, v in (split_assignment(s, "--set") for s in args.sets)}
    print(save_preset(args.name, values, overwrite=not args.no_overwrite))
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    for name in list_presets():
        print(name)
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    print(json.dumps(load_preset(args.name), indent=2))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    print(delete_preset(args.name))
    return 0


def preset_sets(names: list[str]) -> dict[str, str]:
    """The ``--set`` texts of the presets ``names`` (later ones win): text as it is, other values
    as JSON (``6`` -> ``"6"``), so both are typed by the field they go to."""
    sets: dict[str, str] = {}
    for name in names:
        sets.update({k: v if isinstance(v, str) else json.dumps(v) for k, v in load_preset(name).items()})
    return sets


__all__ = ["preset_sets", "register"]
