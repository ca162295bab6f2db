"""Credentials never shown: a password in a URL, a JWT, a basic-auth header.

A URL such as ``http://user:secret@host:9090`` is split once, where the transport is built: the
credentials go to the HTTP session (basic auth), and the URL every later message, ``repr``, journal
record and log line uses has none. Text that may still hold a secret (a socket.io client's log
line carrying the token it sends, a URL a caller passed) goes through :func:`redact`.
:func:`guard_loggers` puts a filter doing that on the loggers of libraries that log what they
send (python-socketio, python-engineio, websocket-client), so raising them to INFO or DEBUG never
prints a token.
"""

from __future__ import annotations

import base64
import logging
import re
from urllib.parse import unquote, urlsplit, urlunsplit

#: what replaces a secret in anything shown
MASK = "***"

_PATTERNS = (
    # a JWT (header.payload.signature, the header always starts with '{"' = eyJ)
    (re.compile(r"eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),
    # "token": "..." in a JSON text (socket.io's CONNECT packet), and token=... in a query
    (re.compile(r"""(["']?(?:token|password|access_token)["']?\s*[:=]\s*["']?)[^"'&\s,}]+""", re.I), rf"\g<1>{MASK}"),
    # Authorization header values
    (re.compile(r"\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.I), rf"\g<1> {MASK}"),
    # the password of a URL's userinfo
    (re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]*:)[^/\s@]*@", re.I), rf"\g<1>{MASK}@"),
)


def split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """``url`` without its userinfo, and the ``(user, password)`` it held (None when none)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port is not None else host
    clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, (unquote(parts.username or ""), unquote(parts.password or ""))


def with_credentials(url: str, donor: str | None) -> str:
    """``url``, with the userinfo of ``donor`` when ``url`` has none and both name the same server.

    A journal records a server's URL without its password; resuming it with ``$INVOKEAI_URL``
    holding that password (``donor``) gets the password back, for that server only.
    """
    if not donor or split_credentials(url)[1] is not None:
        return url
    bare, creds = split_credentials(donor)
    if creds is None or _origin(bare) != _origin(url):
        return url
    parts = urlsplit(donor)
    return urlunsplit((parts.scheme, parts.netloc, *urlsplit(url)[2:]))


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def basic_auth_header(credentials: tuple[str, str]) -> dict[str, str]:
    """The ``Authorization`` header of HTTP basic auth (for clients other than requests)."""
    raw = f"{credentials[0]}:{credentials[1]}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode("ascii")}


def redact(text: str) -> str:
    """``text`` with every JWT, token value, Authorization header value and URL password masked."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format: leave it to logging's own error handling
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_FILTER = RedactingFilter()
#: loggers of libraries that log what they send: socket.io packets (the token), handshake headers
SOCKET_LOGGERS = ("socketio.client", "engineio.client", "websocket")


def guard_loggers(names: tuple[str, ...] = SOCKET_LOGGERS) -> None:
    """Put the redacting filter on the loggers ``names`` (once each)."""
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


__all__ = [
    "MASK",
    "SOCKET_LOGGERS",
    "RedactingFilter",
    "basic_auth_header",
    "guard_loggers",
    "redact",
    "split_credentials",
    "with_credentials",
]
