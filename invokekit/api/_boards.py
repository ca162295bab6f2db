"""Boards: the gallery's folders, which a generation's images can be sent to."""

from __future__ import annotations

from typing import Any

from invokekit.api._base import Namespace, segment
from invokekit.api._lookup import find_board


class Boards(Namespace):
    def list(self) -> list[dict[str, Any]]:
        """Every board (not paginated)."""
        body = self._t.get_json("/api/v1/boards/", all="true")
        return list(body if isinstance(body, list) else body.get("items") or [])

    def create(self, name: str) -> dict[str, Any]:
        """Create a board named ``name`` (sent once); return its record, with ``board_id``."""
        return dict(self._t.request("POST", "/api/v1/boards/", params={"board_name": name}))

    def delete(self, board_id: str, *, include_images: bool = False) -> dict[str, Any]:
        """Delete a board; its images stay in the gallery unless ``include_images``."""
        params = {"include_images": str(bool(include_images)).lower()}
        return dict(self._t.delete_json(f"/api/v1/boards/{segment(board_id)}", params=params) or {})

    def resolve(self, id_or_name: str) -> str:
        """The board id of a board given by id or name, against the server's list as it is now."""
        return str(find_board(self.list(), id_or_name, where={"field": "board"})["board_id"])


__all__ = ["Boards"]
