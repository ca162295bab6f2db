"""The server's workflow library: shipped default workflows and the user's own."""

from __future__ import annotations

from typing import Any

from invokekit.api._base import Namespace, segment
from invokekit.errors import ParameterError, ServerError


class Workflows(Namespace):
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

    def record(self, workflow_id: str) -> dict[str, Any]:
        """The library's record of one workflow (id, timestamps, the ``workflow`` itself)."""
        return dict(self._t.get_json(f"/api/v1/workflows/i/{segment(workflow_id)}"))

    def get(self, id_or_name: str) -> dict[str, Any]:
        """The workflow JSON (as the editor saves it) of a library entry, by id or exact name."""
        record = None
        try:
            # ids have no "/" (the server would answer its web page, not JSON); names may ("... w/ LoRAs")
            record = self.record(id_or_name) if "/" not in id_or_name else None
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
                    name=id_or_name,
                )
            record = self.record(str(found[0]["workflow_id"]))
        workflow = record.get("workflow") if isinstance(record, dict) else None
        if not isinstance(workflow, dict):
            raise ServerError(f"workflow {id_or_name!r}: the server's record has no workflow body")
        return workflow


__all__ = ["Workflows"]
