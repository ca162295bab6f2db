"""One HTTP session to one InvokeAI server: auth, retries for calls that are safe to repeat,
typed errors.

Everything that talks HTTP to the server goes through a :class:`Transport`, so connection reuse,
the bearer token, retries and error handling are decided in one place. It knows no endpoint:
the namespaces (:mod:`invokekit.api`) do. The retry policy is in :mod:`invokekit.api._retry`:
idempotent methods and read-only POSTs are retried on connection errors and 502/503/504, with
back-off, jitter and ``Retry-After``; any other POST is sent exactly once, whatever happens, and
its callers decide how to recover (see the queue's exactly-once submission). Inside a
:func:`~invokekit.api.deadline` block no request outlives the deadline and no retry starts that
could not end before it. A password in the URL becomes the session's basic auth: ``base_url``,
and so every message, never holds it. Basic auth and a token cannot go together (both are the
``Authorization`` header): such a request is refused before it is sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from invokekit.api import _retry
from invokekit.api._deadline import time_left
from invokekit.api._responses import error_from_response, lost_errors, lost_reason, unavailable
from invokekit.api._secrets import basic_auth_header, split_credentials
from invokekit.errors import AuthenticationError, ServerError, ServerUnavailable

if TYPE_CHECKING:
    import requests

DEFAULT_URL = "http://127.0.0.1:9090"


class Transport:
    """A ``requests.Session`` bound to ``base_url``, with optional bearer-token auth.

    ``base_url`` may hold ``user:password@`` (a server behind basic auth): they are moved to the
    session, and ``self.base_url`` is the URL without them. ``timeout`` is per request (seconds).
    ``retries`` is how many times a call that is safe to repeat may be sent again (see
    :mod:`invokekit.api._retry`). ``requests_sent`` counts HTTP requests (benchmarks read it).
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
        clean, credentials = split_credentials(base_url.rstrip("/"))
        self.base_url = clean
        self.timeout = timeout
        self.retries = retries
        self._credentials = credentials
        self._session = session
        if session is not None:
            session.headers.setdefault("User-Agent", "invokekit")
            if credentials is not None:
                session.auth = credentials
        self._token = token
        self._lock = threading.Lock()
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"Transport({self.base_url!r})"  # never the token

    @property
    def session(self) -> requests.Session:
        """The HTTP session, made on first use (importing requests costs ~40 ms a client need not
        pay before its first request)."""
        if self._session is None:
            import requests

            with self._lock:
                if self._session is None:
                    session = requests.Session()
                    session.headers.setdefault("User-Agent", "invokekit")
                    if self._credentials is not None:
                        session.auth = self._credentials  # basic auth from the URL's user:password@
                    self._session = session
        return self._session

    # --- auth ---------------------------------------------------------------------------------

    @property
    def token(self) -> str | None:
        """The current JWT (set by ``auth.login``; refreshed from ``X-Refreshed-Token``)."""
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self._token = value

    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    def refuse_two_authorizations(self, *, token: bool) -> None:
        """Raise :class:`AuthenticationError` when a token (``token``: one is set, or a login would
        get one) would go to a server reached with the URL's ``user:password@``. Both are the
        ``Authorization`` header, and requests puts the basic one in place of the bearer one: the
        server would never see the token, and refuse every request for a reason hard to find."""
        if token and self._credentials is not None:
            raise AuthenticationError(
                f"{self.base_url}: a user:password@ in the URL (HTTP basic auth) and a token cannot both be "
                "sent, each is the Authorization header: use one of them (drop the password from the URL, "
                "or the token: $INVOKEAI_TOKEN, Client(token=...), login)",
                url=self.base_url,
            )

    def connection_headers(self) -> dict[str, str]:
        """Headers another client (socket.io) needs to reach this server: its basic auth, if any
        (the token travels in socket.io's own auth data)."""
        return basic_auth_header(self._credentials) if self._credentials is not None else {}

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
        files: Mapping[str, Any] | None = None,
        data: Mapping[str, Any] | None = None,
        stream: bool = False,
        timeout: float | None = None,
        idempotent: bool = False,
    ) -> requests.Response:
        """Send one request and return the response, raising typed errors for failures.

        Idempotent methods are retried (connection errors, timeouts, 502/503/504); POST is not,
        unless the caller says it only reads (``idempotent=True``, e.g. a POST of a list of ids).
        """
        self.refuse_two_authorizations(token=bool(self._token))
        method = method.upper()
        attempts = _retry.attempts_for(method, read_only=idempotent, retries=self.retries)
        url = self.url(path)
        where = urlsplit(url).path
        per_request = timeout or self.timeout
        attempt = 1
        while True:
            left = time_left()
            if left is not None and left <= 0:
                raise ServerUnavailable(f"{method} {url}: not sent, the deadline has passed", url=url)
            try:
                with self._lock:
                    self.requests_sent += 1
                resp = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    files=files,
                    data=data,
                    stream=stream,
                    timeout=per_request if left is None else min(per_request, left),
                    headers=self.auth_headers(),
                )
            except lost_errors() as exc:
                reason = lost_reason(exc)
                wait = _retry.backoff(attempt - 1)
                if attempt < attempts and _fits(wait):
                    attempt = self._wait(method, where, reason, attempt, attempts, wait)
                    continue
                if left is not None and time_left() == 0:
                    reason += ", at the deadline"
                # from None: the chain of low-level errors would bury the message; ``.cause`` keeps it
                raise unavailable(method, url, self.base_url, reason, exc) from None
            refreshed = resp.headers.get("X-Refreshed-Token")
            if refreshed:
                self._token = refreshed
            if resp.status_code in _retry.RETRY_STATUSES and attempt < attempts:
                asked = _retry.retry_after(resp.headers.get("Retry-After"))
                wait = max(asked or 0.0, _retry.backoff(attempt - 1))
                if (asked is None or asked <= _retry.MAX_RETRY_AFTER) and _fits(wait):
                    reason = f"HTTP {resp.status_code}" + (f", Retry-After {asked:g} s" if asked is not None else "")
                    resp.close()
                    attempt = self._wait(method, where, reason, attempt, attempts, wait)
                    continue
            if resp.status_code >= 400:
                try:
                    raise error_from_response(resp, self.base_url)
                finally:
                    resp.close()
            return resp

    @staticmethod
    def _wait(method: str, where: str, reason: str, attempt: int, attempts: int, seconds: float) -> int:
        """Log the retry, wait (unless in test mode), return the number of the next attempt."""
        _retry.log_retry(method, where, reason, attempt + 1, attempts, seconds)
        _retry.pause(seconds)
        return attempt + 1

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

    def delete_json(self, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
        return self.request("DELETE", path, params=params)

    @contextmanager
    def stream(self, path: str, *, timeout: float | None = None) -> Iterator[requests.Response]:
        """GET ``path`` as a stream (for downloads); the response is closed on exit."""
        resp = self.raw("GET", path, stream=True, timeout=timeout)
        try:
            yield resp
        finally:
            resp.close()

    def close(self) -> None:
        if self._session is not None:
            self._session.close()


def _fits(wait: float) -> bool:
    """Whether a retry after ``wait`` seconds could still be sent before the deadline (if any)."""
    left = time_left()
    return left is None or (wait if not _retry.is_testing() else 0.0) < left


__all__ = ["DEFAULT_URL", "Transport", "error_from_response"]
