"""The ``invokekit`` command line.

Each subcommand lives in its own module of this package, which exposes ``register(subparsers)``;
the parser calls the function stored as ``func`` with the parsed arguments and exits with its
return value. Errors from invokekit are printed as one clear message (no traceback) with exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from invokekit.errors import InvokekitError, ParameterError

# subcommand modules, in the order shown by --help; a module that is not there yet is skipped
_COMMANDS = ("_sandbox", "_workflow", "_load_report", "_run", "_bench")


def split_assignment(assignment: str, option: str) -> tuple[str, str]:
    """``"NAME=VALUE"`` as ``(NAME, VALUE)``, for options such as ``--set`` and ``--sweep``."""
    name, sep, value = assignment.partition("=")
    if not sep or not name.strip():
        raise ParameterError(f"{option} expects NAME=VALUE, got {assignment!r}")
    return name.strip(), value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="invokekit", description="Drive a real InvokeAI server from the shell.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"invokekit.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"invokekit.cli.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except InvokekitError as exc:
        print(f"invokekit: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: not an error of ours; keep Python from complaining
        # again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("invokekit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
