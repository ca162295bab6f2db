"""The model manager: installed models, and installing one (a job the server runs)."""

from __future__ import annotations

from typing import Any

from invokekit.api._base import Namespace, segment
from invokekit.api._lookup import find_model
from invokekit.errors import ServerError


class Models(Namespace):
    def list(self, *, name: str | None = None, type: str | None = None) -> list[dict[str, Any]]:
        """The installed models' records; ``name`` (exact) and ``type`` narrow the list on the server."""
        params = {k: v for k, v in (("model_name", name), ("model_type", type)) if v is not None}
        return list(self._t.get_json("/api/v2/models/", **params)["models"])

    def find(self, name: str, *, type: str | None = None, base: str | None = None) -> dict[str, Any]:
        """The model whose key (or else name) is ``name``; ``type``/``base`` narrow the match (see
        :func:`invokekit.api._lookup.find_model`: no match, or more than one, is a ParameterError)."""
        return find_model(self.list(), name, types=[type] if type else None, bases=[base] if base else None,
                          where={"field": "model"})

    def install(
        self, source: str, *, name: str | None = None, description: str | None = None, inplace: bool = True
    ) -> dict[str, Any]:
        """Start installing the model at ``source`` (a path on the server's machine, a URL or a
        Hugging Face repo id); sent once. Returns the install job (poll :meth:`install_job`)."""
        config = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        params = {"source": source, "inplace": str(bool(inplace)).lower()}
        return dict(self._t.post_json("/api/v2/models/install", config, params=params))

    def install_job(self, job_id: int) -> dict[str, Any]:
        """An install job: ``status`` ("waiting", ..., "completed", "error", "cancelled")."""
        return dict(self._t.get_json(f"/api/v2/models/install/{segment(int(job_id))}"))

    def delete(self, *keys: str) -> None:
        """Forget the models ``keys``; InvokeAI deletes their files only when they lie in its own models folder.

        Through the bulk route, which reports each key: InvokeAI 6.14.2's ``DELETE /api/v2/models/i/{key}``
        deletes the model but then answers HTTP 500 (its middleware fails on the empty 204 response).
        Sent once (not retried): a retry after a lost answer would report the keys as unknown.
        """
        body = self._t.post_json("/api/v2/models/i/bulk_delete", {"keys": list(keys)})
        failed = (body or {}).get("failed") or []
        if failed:
            raise ServerError(f"the server did not delete these models: {failed}", detail=failed)


__all__ = ["Models"]
