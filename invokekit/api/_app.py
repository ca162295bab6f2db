"""The server itself: its version, its custom node packs, and the OpenAPI schema that describes
every node it knows."""

from __future__ import annotations

from typing import Any

from invokekit.api._base import Namespace


class App(Namespace):
    def version(self) -> dict[str, Any]:
        """``{"version": "6.14.2", ...}``; a cheap request, good for "is it up?"."""
        return dict(self._t.get_json("/api/v1/app/version"))

    def custom_node_packs(self) -> dict[str, Any]:
        """The installed custom node packs (``node_packs``: name, path, node types); with the
        version, what decides the node set. A multi-user server answers it to admins only."""
        return dict(self._t.get_json("/api/v2/custom_nodes/"))

    def openapi_schema(self) -> dict[str, Any]:
        """The server's OpenAPI schema (every invocation's inputs and outputs; ~2 MB)."""
        return dict(self._t.get_json("/openapi.json"))


__all__ = ["App"]
