"""The ``invokekit`` command line.

Each subcommand lives in its own module of this package, which exposes ``register(subparsers)``;
the parser calls the function stored as ``func`` with the parsed arguments and exits with its
return value. Errors from invokekit are printed as one clear message (no traceback); the exit
status tells a script which kind of failure it was (see :data:`EXIT_STATUS`). The library's log
records are shown on stderr while a command runs: warnings always (a retried request, a model reset
while loading), progress notes too with ``-v`` (see :func:`showing_logs`).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TextIO

from invokekit.api._secrets import RedactingFilter
from invokekit.errors import GraphError, InvokekitError, JournalError, MonitorUnavailable, ParameterError, WorkflowError

# subcommand modules, in the order shown by --help; a module that is not there yet is skipped
_COMMANDS = ("_sandbox", "_workflow", "_load_report", "_run", "_preset", "_login", "_bench")

#: exit statuses: a run that failed (1) is worth retrying later; bad input (2) is not
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
EXIT_STATUS = f"""exit status:
  {EXIT_OK}    done
  {EXIT_FAILED}    the run failed: the server could not be reached or answered with an error, an
       item failed or was canceled, a download, a benchmark notebook or the sandbox failed
       (`sandbox status`: no sandbox runs)
  {EXIT_USAGE}    usage or bad input, nothing was enqueued: an unknown option or parameter, a bad
       value, a malformed workflow, a graph the pre-flight check or the server rejects, a
       monitor that cannot work with the server (--monitor db without its database), a journal
       that is missing or unreadable
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)"""

#: why there is no ``--token`` option, and what to do instead (the epilog, and the answer to ``--token``)
TOKEN_ADVICE = """there is no --token option: every user of the machine can read a command line (ps,
  /proc) and the shell keeps it in its history, so a token comes from the environment only.
  `eval "$(invokekit login --url URL)"` sets INVOKEAI_URL and INVOKEAI_TOKEN in this shell; for
  one command: INVOKEAI_URL=URL INVOKEAI_TOKEN=... invokekit COMMAND"""
ENVIRONMENT = f"""environment:
  INVOKEAI_URL     the server, unless --url names one (else the local sandbox, $INVOKEKIT_SANDBOX)
  INVOKEAI_TOKEN   the JWT of a multi-user server (`invokekit login`), sent to $INVOKEAI_URL's
                   server only; not with a user:password@ in its URL (both would be the
                   Authorization header: refused before anything is sent)
  INVOKEAI_DB      that server's databases/invokeai.db (--monitor db)

{TOKEN_ADVICE[0].upper()}{TOKEN_ADVICE[1:]}"""


def split_assignment(assignment: str, option: str) -> tuple[str, str]:
    """``"NAME=VALUE"`` as ``(NAME, VALUE)``, for options such as ``--set`` and ``--sweep``."""
    name, sep, value = assignment.partition("=")
    if not sep or not name.strip():
        raise ParameterError(f"{option} expects NAME=VALUE, got {assignment!r}")
    return name.strip(), value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="invokekit",
        description="Drive a real InvokeAI server from the shell.",
        epilog=f"{EXIT_STATUS}\n\n{ENVIRONMENT}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", default=False, help=VERBOSE_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"invokekit.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"invokekit.cli.{name}":
                continue
            raise
        module.register(sub)
    for command in {id(c): c for c in sub.choices.values()}.values():  # after it too (`invokekit run ... -v`)
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=VERBOSE_HELP)
    return parser


VERBOSE_HELP = "also show invokekit's progress notes (log level INFO) on stderr, not only its warnings"


class _LogFormatter(logging.Formatter):
    """``invokekit: warning: ...``, as the CLI's own errors and warnings read."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return f"invokekit: {record.levelname.lower()}: {record.message}"


@contextmanager
def showing_logs(verbose: bool) -> Iterator[None]:
    """Print the ``invokekit`` loggers' records on stderr (WARNING and up; INFO too when
    ``verbose``) while the block runs. The library itself only has a ``NullHandler``; the handler
    added here is removed again, so calling :func:`main` in a process leaves its logging as it was."""
    logger = logging.getLogger("invokekit")
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    handler.setFormatter(_LogFormatter())
    handler.addFilter(RedactingFilter())  # no token or password, whatever a message holds
    level = logger.level
    if verbose and logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A warning as one line, as the CLI's errors are (no source file, no source line)."""
    print(f"invokekit: warning: {message}", file=file or sys.stderr, flush=True)


def _token_option(argv: Sequence[str]) -> bool:
    """Whether ``argv`` passes ``--token`` (answered without echoing its value, as argparse would)."""
    for arg in argv:
        if arg == "--":
            return False
        if arg == "--token" or arg.startswith("--token="):
            return True
    return False


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if _token_option(argv):
        print(f"invokekit: error: {TOKEN_ADVICE}", file=sys.stderr)
        return EXIT_USAGE
    parser = build_parser()
    args = parser.parse_args(argv)
    with warnings.catch_warnings(), showing_logs(args.verbose):
        warnings.showwarning = _show_warning
        return _dispatch(args)


def _dispatch(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except (WorkflowError, GraphError, MonitorUnavailable, JournalError) as exc:  # ParameterError, PreflightError too
        print(f"invokekit: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except InvokekitError as exc:
        print(f"invokekit: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: not an error of ours; keep Python from complaining
        # again when it flushes stdout at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        print("invokekit: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
