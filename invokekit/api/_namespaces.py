"""Thin, typed views of the server's REST resources, grouped the way users think of them.

They all share the client's one :class:`Transport` (one HTTP session, so connections are reused).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from invokekit.api._transport import Transport
from invokekit.errors import ParameterError, ServerError


def _q(value: str) -> str:
    return quote(str(value), safe="")


class Models:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self) -> list[dict[str, Any]]:
        return list(self._t.get_json("/api/v2/models/")["models"])

    def find(self, name: str, *, type: str | None = None, base: str | None = None) -> dict[str, Any]:
        """The model whose name (or key) is ``name``; ``type``/``base`` narrow the match."""
        models = self.list()
        matches = [
            m
            for m in models
            if name in (m.get("name"), m.get("key"))
            and (type is None or m.get("type") == type)
            and (base is None or m.get("base") == base)
        ]
        if not matches:
            raise ParameterError(
                f"no model named {name!r}" + (f" of type {type!r}" if type else "") + " on the server",
                candidates=sorted({str(m.get("name")) for m in models if type is None or m.get("type") == type}),
                field="model",
            )
        return matches[0]


class Workflows:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self) -> list[dict[str, Any]]:
        """Every workflow in the server's library (shipped defaults and user workflows)."""
        items: list[dict[str, Any]] = []
        page = 0
        while True:
            body = self._t.get_json("/api/v1/workflows/", page=page, per_page=100)
            items.extend(body.get("items") or [])
            page += 1
            if page >= int(body.get("pages") or 0):
                return items

    def get(self, id_or_name: str) -> dict[str, Any]:
        """The workflow JSON (as the editor saves it) of a library entry, by id or exact name."""
        record = None
        try:
            record = self._t.get_json(f"/api/v1/workflows/i/{_q(id_or_name)}")
        except ServerError as exc:
            if exc.status not in (404, 422):
                raise
        if record is None:
            library = self.list()
            wanted = id_or_name.strip().casefold()
            found = [w for w in library if str(w.get("name", "")).strip().casefold() == wanted]
            if not found:
                # the shipped names contain double spaces ("Text to Image -  SD1.5, Control")
                squash = " ".join(wanted.split())
                found = [w for w in library if " ".join(str(w.get("name", "")).casefold().split()) == squash]
            if not found:
                raise ParameterError(
                    f"no workflow with id or name {id_or_name!r} in the server's library (nor a file of that name)",
                    candidates=sorted(str(w.get("name")) for w in library),
                )
            record = self._t.get_json(f"/api/v1/workflows/i/{_q(found[0]['workflow_id'])}")
        workflow = record.get("workflow") if isinstance(record, dict) else None
        if not isinstance(workflow, dict):
            raise ServerError(f"workflow {id_or_name!r}: the server's record has no workflow body")
        return workflow


class Boards:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def list(self) -> list[dict[str, Any]]:
        body = self._t.get_json("/api/v1/boards/", all="true")
        return list(body if isinstance(body, list) else body.get("items") or [])

    def resolve(self, id_or_name: str) -> str:
        """The board id of a board given by id or name."""
        boards = self.list()
        for board in boards:
            if id_or_name in (board.get("board_id"), board.get("board_name")):
                return str(board["board_id"])
        raise ParameterError(
            f"no board with id or name {id_or_name!r} on the server",
            candidates=sorted(str(b.get("board_name")) for b in boards),
            field="board",
        )


class Images:
    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def dto(self, image_name: str) -> dict[str, Any]:
        return dict(self._t.get_json(f"/api/v1/images/i/{_q(image_name)}"))


class Queue:
    """The session queue (``queue_id``, "default" unless you run several)."""

    def __init__(self, transport: Transport, queue_id: str = "default") -> None:
        self._t = transport
        self.queue_id = queue_id

    def _p(self, queue_id: str | None) -> str:
        return f"/api/v1/queue/{_q(queue_id or self.queue_id)}"

    def status(self, queue_id: str | None = None) -> dict[str, Any]:
        return dict(self._t.get_json(f"{self._p(queue_id)}/status"))

    def item(self, item_id: int, queue_id: str | None = None) -> dict[str, Any]:
        return dict(self._t.get_json(f"{self._p(queue_id)}/i/{int(item_id)}"))

    def cancel(self, item_id: int, queue_id: str | None = None) -> dict[str, Any]:
        return dict(self._t.put_json(f"{self._p(queue_id)}/i/{int(item_id)}/cancel") or {})

    def batch_status(self, batch_id: str, queue_id: str | None = None) -> dict[str, Any]:
        return dict(self._t.get_json(f"{self._p(queue_id)}/b/{_q(batch_id)}/status"))

    def summaries(self, item_ids: Sequence[int], queue_id: str | None = None) -> list[dict[str, Any]]:
        """Short records (status, timestamps, batch) of many items in one request (read-only)."""
        if not item_ids:
            return []
        path = f"{self._p(queue_id)}/item_summaries_by_ids"
        body = self._t.post_json(path, {"item_ids": [int(i) for i in item_ids]}, idempotent=True)
        return list(body or [])

    def item_ids(self, queue_id: str | None = None, *, newest_first: bool = True) -> list[int]:
        body = self._t.get_json(f"{self._p(queue_id)}/item_ids", order_dir="DESC" if newest_first else "ASC")
        return [int(i) for i in body.get("item_ids") or []]

    def pause(self, queue_id: str | None = None) -> None:
        self._t.put_json(f"{self._p(queue_id)}/processor/pause")

    def resume(self, queue_id: str | None = None) -> None:
        self._t.put_json(f"{self._p(queue_id)}/processor/resume")


__all__ = ["Boards", "Images", "Models", "Queue", "Workflows"]
