"""``invokekit login``: log in to a multi-user InvokeAI and print the token for the shell.

Nothing is stored: the token is printed as ``export INVOKEAI_TOKEN=...`` on stdout, so
``eval "$(invokekit login)"`` puts it in the environment of this shell, where every other command
finds it (for the server in ``$INVOKEAI_URL``). The email comes from ``--email`` or
``$INVOKEAI_EMAIL``; the password from ``$INVOKEAI_PASSWORD`` or a prompt, never from the command
line (where any user could read it in the process list).
"""

from __future__ import annotations

import argparse
import getpass
import os
import shlex
import sys
from typing import Any

from invokekit.client import Client
from invokekit.errors import ParameterError


def register(subparsers: Any) -> None:
    login = subparsers.add_parser(
        "login", help="log in to a multi-user server; print `export INVOKEAI_TOKEN=...` for the shell"
    )
    login.add_argument("--url", help="server URL (default: $INVOKEAI_URL)")
    login.add_argument("--email", help="the account's email (default: $INVOKEAI_EMAIL, else asked)")
    login.set_defaults(func=cmd_login)


def _ask(prompt: str, *, secret: bool) -> str | None:
    """Ask on the terminal; None when there is no terminal to ask on."""
    if not sys.stdin.isatty():
        return None
    return getpass.getpass(prompt) if secret else input(prompt)


def cmd_login(args: argparse.Namespace) -> int:
    url = args.url or os.environ.get("INVOKEAI_URL")
    if not url:
        raise ParameterError("login needs the server: pass --url URL or set INVOKEAI_URL")
    email = args.email or os.environ.get("INVOKEAI_EMAIL") or _ask("email: ", secret=False)
    password = os.environ.get("INVOKEAI_PASSWORD") or _ask("password: ", secret=True)
    if not email or not password:
        raise ParameterError(
            "login needs an email (--email or INVOKEAI_EMAIL) and a password (INVOKEAI_PASSWORD, or typed at "
            "the prompt; never on the command line)"
        )
    with Client(url) as client:
        token = client.login(email, password)
        where = client.url
    if args.url:
        print(f"export INVOKEAI_URL={shlex.quote(where)}")
    print(f"export INVOKEAI_TOKEN={shlex.quote(token)}")
    print(f'# logged in to {where} as {email}; eval "$(invokekit login ...)" sets this in your shell', file=sys.stderr)
    return 0


__all__ = ["cmd_login", "register"]
