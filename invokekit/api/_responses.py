"""Typed errors built from what the server (or the network) said.

A failed response becomes the :mod:`invokekit.errors` class that says what happened (refused
credentials, a rejected graph naming its nodes, a server that is not there), keeping the status
and the server's own detail; a lost connection becomes one short :class:`ServerUnavailable`
whose message ends with what to do.
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING, Any

from invokekit.errors import (
    AuthenticationError,
    GraphRejected,
    Problem,
    ServerError,
    ServerUnavailable,
    unavailable_advice,
)

#: what a request raises when the connection is refused, times out, or dies mid-response
if TYPE_CHECKING:
    import requests


@cache
def lost_errors() -> tuple[type[BaseException], ...]:
    """The exceptions of a request that never got its answer (requests is imported on first use:
    importing invokekit and building a client stay cheap)."""
    import requests

    return (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)

_ERRNO = re.compile(r"\[Errno -?\d+\] ([^'\"()\]\[]+)")
_DISCONNECTED = re.compile(r"RemoteDisconnected\('([^']+)'")


def lost_reason(exc: BaseException) -> str:
    """A few words for a lost connection ("Connection refused", "read timed out"), instead of
    urllib3's nested reprs."""
    import requests

    if isinstance(exc, requests.ConnectTimeout):
        return "connect timed out"
    if isinstance(exc, requests.Timeout):
        return "read timed out"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the response was cut short"
    found_os = _os_reason(exc)
    if found_os:
        return found_os
    text = str(exc)
    for pattern in (_ERRNO, _DISCONNECTED):
        found = pattern.search(text)
        if found:
            return found.group(1).strip()
    if "IncompleteRead" in text or "Connection broken" in text:
        return "the response was cut short"
    return type(exc).__name__


def _os_reason(exc: BaseException, depth: int = 0) -> str | None:
    """The ``strerror`` of the operating-system error somewhere inside ``exc`` (its args, reason,
    cause or context), e.g. "Connection reset by peer"."""
    if isinstance(exc, OSError) and exc.strerror:
        return str(exc.strerror)
    if depth > 5:
        return None
    inner = [*getattr(exc, "args", ()), getattr(exc, "reason", None), exc.__cause__, exc.__context__]
    for part in inner:
        if isinstance(part, BaseException) and part is not exc:
            found = _os_reason(part, depth + 1)
            if found:
                return found
    return None


def unavailable(method: str, url: str, server_url: str, reason: str, cause: BaseException | None) -> ServerUnavailable:
    """The error for a request that got no answer: one line, ending with the advice."""
    return ServerUnavailable(
        f"{method} {url}: the server did not answer ({reason}). {unavailable_advice(server_url)}",
        cause=cause,
        url=url,
    )


def _problems_from_422(detail: Any) -> list[Problem]:
    """Turn FastAPI/pydantic validation details into node/field problems where they say so."""
    problems: list[Problem] = []
    if not isinstance(detail, list):
        return problems
    for entry in detail:
        if not isinstance(entry, dict):
            continue
        loc = [str(p) for p in entry.get("loc", [])]
        node_id: str = "?"
        field: str | None = None
        # e.g. ["body", "batch", "graph", "nodes", "<node id>", "<node type>", "<field>"]
        if "nodes" in loc:
            rest = loc[loc.index("nodes") + 1 :]
            if rest:
                node_id = rest[0]
            if len(rest) >= 3:
                field = rest[2]
            elif len(rest) == 2:
                field = rest[1]
        else:
            field = ".".join(loc) or None
        problems.append(Problem(node_id=node_id, node_label=None, field=field, message=str(entry.get("msg", entry))))
    return problems


def error_from_response(resp: requests.Response, server_url: str | None = None) -> ServerError:
    """Build the typed error for a failed response, keeping status and the server's detail.

    ``server_url`` (the server the request was meant for) goes into the advice of a 502/503/504.
    """
    try:
        body = resp.json()
        detail = body.get("detail", body) if isinstance(body, dict) else body
    except ValueError:
        detail = resp.text[:2000]
    where = f"{resp.request.method} {resp.url}" if resp.request is not None else resp.url
    message = f"{where}: HTTP {resp.status_code}"
    if isinstance(detail, str) and detail:
        message += f": {detail}"
    if resp.status_code in (401, 403):
        return AuthenticationError(message, status=resp.status_code, detail=detail, url=resp.url)
    if resp.status_code == 422:
        return GraphRejected(message, problems=_problems_from_422(detail), status=422, detail=detail, url=resp.url)
    if resp.status_code in (502, 503, 504):
        advice = unavailable_advice(server_url) if server_url else ""
        message = f"{message}. {advice}" if advice else message
        return ServerUnavailable(message, status=resp.status_code, detail=detail, url=resp.url)
    return ServerError(message, status=resp.status_code, detail=detail, url=resp.url)


__all__ = ["error_from_response", "lost_errors", "lost_reason", "unavailable"]
