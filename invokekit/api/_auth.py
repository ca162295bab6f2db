"""Multi-user servers: logging in (the JWT is kept by the transport, never logged)."""

from __future__ import annotations

from typing import Any

from invokekit.api._base import Namespace


class Auth(Namespace):
    def login(self, email: str, password: str) -> None:
        """Log in; every later request of this transport carries the token. Sent once (not at all
        to a server reached with basic auth: the token could not be sent with it)."""
        self._t.refuse_two_authorizations(token=True)
        body = self._t.post_json("/api/v1/auth/login", {"email": email, "password": password})
        self._t.token = str(body["token"])

    def setup(self, email: str, password: str, *, display_name: str = "Admin") -> dict[str, Any]:
        """Create the first administrator of a fresh multi-user server. Sent once."""
        body = {"email": email, "display_name": display_name, "password": password}
        return dict(self._t.post_json("/api/v1/auth/setup", body) or {})


__all__ = ["Auth"]
