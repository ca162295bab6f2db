"""The server itself: its version, its custom node packs, and the OpenAPI schema that describes
every node it knows."""

from __future__ import annotations

from typing import Any

from invokekit.api._base import Namespace


class App(Namespace):
    _known: str | None = None

    def version(self) -> dict[str, Any]:
        """``{"version": "6.14.2", ...}``; a cheap request, good for "is it up?"."""
        answer = dict(self._t.get_json("/api/v1/app/version"))
        self._known = str(answer.get("version"))
        return answer

    def known_version(self) -> str:
        """The version string, asked at most once per client (the last :meth:`version` answer):
        what every job's sidecars record, without one request per job."""
        if self._known is None:
            self.version()
        return str(self._known)

    def custom_node_packs(self) -> dict[str, Any]:
        """The installed custom node packs (``node_packs``: name, path, node types); with the
        version, what decides the node set. A multi-user server answers it to admins only."""
        return dict(self._t.get_json("/api/v2/custom_nodes/"))

    def openapi_schema(self) -> dict[str, Any]:
        """The server's OpenAPI schema (every invocation's inputs and outputs; ~2 MB)."""
        return dict(self._t.get_json("/openapi.json"))


__all__ = ["App"]
