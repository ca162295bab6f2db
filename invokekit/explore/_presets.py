"""Presets: named sets of parameter values, saved as small TOML files people can edit.

``invokekit preset save portrait --set cfg_scale=6 --set steps=30``, ``--preset portrait`` and
``wf.apply(load_preset("portrait"))`` share these functions. A preset is one flat TOML file,
``NAME.toml``, in the presets folder: ``$INVOKEKIT_PRESETS`` when set, else
``$XDG_CONFIG_HOME/invokekit/presets`` (``~/.config/invokekit/presets``). Files are written whole
(a temporary file, then a rename), so a crash never leaves half a preset.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from invokekit._files import write_text_atomic
from invokekit.errors import ParameterError
from invokekit.explore._toml import PresetValue, dumps_flat
from invokekit.explore._values import Value

ENV_VAR = "INVOKEKIT_PRESETS"
SUFFIX = ".toml"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def presets_dir() -> Path:
    """Where presets live: ``$INVOKEKIT_PRESETS``, else ``$XDG_CONFIG_HOME`` (or ``~/.config``)
    ``/invokekit/presets``. It is created when the first preset is saved."""
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser()
    config = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(config).expanduser() / "invokekit" / "presets"


def _checked_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or ".." in name or name.endswith("."):
        raise ParameterError(f"preset name {name!r} must be 1-64 letters, digits, '.', '_' or '-', "
                             "starting with a letter or digit")
    return name


def _path(name_or_path: str | os.PathLike[str]) -> Path:
    """A preset's file: a path as given (``./team.toml``), or ``NAME.toml`` in the presets folder."""
    text = os.fspath(name_or_path)
    if isinstance(name_or_path, os.PathLike) or "/" in text or os.sep in text or text.endswith(SUFFIX):
        return Path(text).expanduser()
    return presets_dir() / f"{_checked_name(text)}{SUFFIX}"


def list_presets() -> list[str]:
    """The names of the saved presets, sorted."""
    folder = presets_dir()
    if not folder.is_dir():
        return []
    return sorted(p.stem for p in folder.glob(f"*{SUFFIX}") if p.is_file() and _NAME.fullmatch(p.stem))


def _missing(name_or_path: str | os.PathLike[str], path: Path) -> ParameterError:
    name = os.fspath(name_or_path)
    return ParameterError(f"no preset {name!r} (looked for {path})", candidates=list_presets(), name=name)


def save_preset(name: str, values: Mapping[str, Value], *, overwrite: bool = True) -> Path:
    """Save ``values`` (parameter name -> value) as the preset ``name``; return its file.

    Values must be text, numbers, booleans or lists of them; anything else is refused before the
    file is touched. With ``overwrite=False`` an existing preset of that name is an error.
    """
    path = presets_dir() / f"{_checked_name(name)}{SUFFIX}"
    if not values:
        raise ParameterError(f"preset {name!r} needs at least one value")
    text = dumps_flat(values, header=f"invokekit preset {name!r}: parameter values by name")
    if not overwrite and path.exists():
        raise ParameterError(f"preset {name!r} already exists; pass overwrite=True to replace it", file=path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_text_atomic(path, text)


def load_preset(name_or_path: str | os.PathLike[str]) -> dict[str, PresetValue]:
    """The values of a saved preset (by name, or the path of a TOML file)."""
    path = _path(name_or_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _missing(name_or_path, path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(f"the preset cannot be read ({exc})", file=path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"not valid TOML ({exc})", file=path) from None
    for key, value in data.items():
        if isinstance(value, dict) or (isinstance(value, list) and any(isinstance(v, dict) for v in value)):
            raise ParameterError("a preset holds flat values (key = value); tables are not parameters",
                                 file=path, field=key)
        if not isinstance(value, str | int | float | bool | list):
            raise ParameterError(f"a preset value must be text, a number, a boolean or a list, not "
                                 f"{type(value).__name__}", file=path, field=key)
    return data


def delete_preset(name: str) -> Path:
    """Delete the saved preset ``name``; return the file that was removed."""
    path = presets_dir() / f"{_checked_name(name)}{SUFFIX}"
    try:
        path.unlink()
    except FileNotFoundError:
        raise _missing(name, path) from None
    return path


__all__ = ["ENV_VAR", "delete_preset", "list_presets", "load_preset", "presets_dir", "save_preset"]
