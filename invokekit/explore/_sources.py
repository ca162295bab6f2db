"""Sweep values read from files: ``@prompts.txt`` (one per line) and ``@table.csv:column``.

Prompt lists live in files because they are long, contain commas, and are reused across runs.
A text file gives one value per line (blank lines and lines starting with ``#`` are skipped, so a
list can be annotated); a CSV file (``.csv``, or ``.tsv`` for tabs) gives the non-empty cells of
one named column, so one spreadsheet can hold several aligned columns for zipped sweeps. Files
are read as UTF-8 (a byte-order mark from a spreadsheet program is dropped); a relative path is
taken from ``base_dir`` (the current folder by default).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from invokekit.errors import ParameterError

_CSV_COLUMN = re.compile(r"@(?P<path>.+?\.(?:csv|tsv))(?::(?P<column>.*))?", re.IGNORECASE)


def _read(name: str, path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise ParameterError("no such file", field=name, file=path) from None
    except IsADirectoryError:
        raise ParameterError("is a folder, not a file", field=name, file=path) from None
    except UnicodeDecodeError as exc:
        raise ParameterError(f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                             field=name, file=path) from None
    except OSError as exc:
        raise ParameterError(f"cannot be read ({exc.strerror})", field=name, file=path) from None


def _resolve(text: str, base_dir: Path | None) -> Path:
    path = Path(text.strip()).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path


def lines_of(name: str, path: Path) -> list[str]:
    """The values of a list file: each line stripped, blanks and ``#`` comments left out."""
    values = [line.strip() for line in _read(name, path).splitlines()]
    values = [v for v in values if v and not v.startswith("#")]
    if not values:
        raise ParameterError("the file holds no values (blank lines and # comments are skipped)",
                             field=name, file=path)
    return values


def column_of(name: str, path: Path, column: str | None) -> list[str]:
    """The non-empty cells of ``column`` in a CSV (or TSV) file with a header row."""
    text = _read(name, path)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise ParameterError(f"not a valid CSV file ({exc})", field=name, file=path) from None
    if not rows:
        raise ParameterError("the CSV file is empty; it needs a header row", field=name, file=path)
    header = [h.strip() for h in rows[0]]
    if not column:
        raise ParameterError(f"name the column to read, as @{path.name}:COLUMN",
                             candidates=header, field=name, file=path)
    if column not in header:
        raise ParameterError(f"no column {column!r} in the CSV file",
                             candidates=header, name=column, field=name, file=path)
    index = header.index(column)
    values = [row[index].strip() for row in rows[1:] if index < len(row)]
    values = [v for v in values if v]
    if not values:
        raise ParameterError(f"column {column!r} holds no values", field=name, file=path)
    return values


def read_source(name: str, spec: str, base_dir: Path | None) -> tuple[list[str], Path]:
    """The values ``@spec`` names (``spec`` without the ``@``), and the file they came from."""
    match = _CSV_COLUMN.fullmatch("@" + spec)
    if match is not None:
        path = _resolve(match.group("path"), base_dir)
        column = match.group("column")
        return column_of(name, path, column.strip() if column is not None else None), path
    path = _resolve(spec, base_dir)
    return lines_of(name, path), path


__all__ = ["column_of", "lines_of", "read_source"]
