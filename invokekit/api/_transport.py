"""One HTTP session to one InvokeAI server: auth, retries for idempotent calls, typed errors.

Everything that talks HTTP to the server goes through a :class:`Transport`, so connection reuse,
the bearer token and error handling are decided in one place. Only idempotent methods (GET, PUT,
DELETE) are retried, and only on connection errors; a POST is sent exactly once, whatever
happens, and its callers decide how to recover (see the queue's exactly-once submission).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import requests

from invokekit.errors import AuthenticationError, GraphRejected, Problem, ServerError, ServerUnavailable

log = logging.getLogger("invokekit.http")

DEFAULT_URL = "http://127.0.0.1:9090"
_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: what a request raises when the connection is refused, times out, or dies mid-response
_LOST = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


class Transport:
    """A ``requests.Session`` bound to ``base_url``, with optional bearer-token auth.

    ``timeout`` is per request (seconds). ``retries`` applies to idempotent methods only, with a
    short exponential back-off. ``requests_sent`` counts HTTP requests (benchmarks read it).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 2,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", "invokekit")
        self._token = token
        self._lock = threading.Lock()
        self.requests_sent = 0

    # --- auth ---------------------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        """The current JWT (refreshed from ``X-Refreshed-Token`` when the server sends one)."""
        return self._token

    def login(self, email: str, password: str) -> None:
        """Log in to a multi-user server and keep the JWT for every later request."""
        body = self.request("POST", "/api/v1/auth/login", json={"email": email, "password": password})
        self._token = body["token"]

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    # --- requests -----------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"

    def raw(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        stream: bool = False,
        timeout: float | None = None,
        idempotent: bool = False,
    ) -> requests.Response:
        """Send one request and return the response, raising typed errors for failures.

        Idempotent methods are retried on connection errors and timeouts; POST is not, unless the
        caller says it only reads (``idempotent=True``, e.g. a POST that takes a list of ids).
        """
        method = method.upper()
        attempts = 1 + (self.retries if method in _IDEMPOTENT or idempotent else 0)
        url = self.url(path)
        for attempt in range(attempts):
            try:
                with self._lock:
                    self.requests_sent += 1
                resp = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    stream=stream,
                    timeout=timeout or self.timeout,
                    headers=self.auth_headers(),
                )
            except _LOST as exc:
                if attempt + 1 < attempts:
                    time.sleep(0.1 * 2**attempt)
                    continue
                raise ServerUnavailable(
                    f"{method} {url}: the server did not answer ({type(exc).__name__}: {exc})", url=url
                ) from exc
            refreshed = resp.headers.get("X-Refreshed-Token")
            if refreshed:
                self._token = refreshed
            if resp.status_code >= 400:
                raise error_from_response(resp)
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def request(self, method: str, path: str, **kw: Any) -> Any:
        """Send one request and return its decoded JSON body (None when empty)."""
        resp = self.raw(method, path, **kw)
        if not resp.content:
            return None
        try:
            return resp.json()
        except ValueError as exc:
            raise ServerError(
                f"{method} {resp.url}: expected JSON, got {resp.headers.get('content-type')!r}",
                status=resp.status_code,
                url=resp.url,
            ) from exc

    def get_json(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params=params or None)

    def post_json(
        self, path: str, body: Any, *, params: Mapping[str, Any] | None = None, idempotent: bool = False
    ) -> Any:
        """POST once: never retried (a lost response must be resolved by the caller), unless the
        POST only reads (``idempotent=True``), when it is retried like a GET."""
        return self.request("POST", path, json=body, params=params, idempotent=idempotent)

    def put_json(self, path: str, body: Any = None, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("PUT", path, json=body, params=params)

    @contextmanager
    def stream(self, path: str, *, timeout: float | None = None) -> Iterator[requests.Response]:
        """GET ``path`` as a stream (for downloads); the response is closed on exit."""
        resp = self.raw("GET", path, stream=True, timeout=timeout)
        try:
            yield resp
        finally:
            resp.close()

    def close(self) -> None:
        self.session.close()


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


def error_from_response(resp: requests.Response) -> ServerError:
    """Build the typed error for a failed response, keeping status and the server's detail."""
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
        return ServerUnavailable(message, status=resp.status_code, detail=detail, url=resp.url)
    return ServerError(message, status=resp.status_code, detail=detail, url=resp.url)
