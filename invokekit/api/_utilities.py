"""Server-side helpers that compute without changing anything (e.g. dynamic prompts)."""

from __future__ import annotations

from typing import Any

from invokekit.api._base import Namespace


class Utilities(Namespace):
    def dynamicprompts(
        self, prompt: str, *, max_prompts: int = 1000, combinatorial: bool = True, seed: int | None = None
    ) -> dict[str, Any]:
        """Expand a dynamic prompt (``"a {red|blue} fox"``) the way InvokeAI does: ``prompts``
        (the list) and ``error``. Only computes, so it is retried like a read."""
        body: dict[str, Any] = {"prompt": prompt, "max_prompts": max_prompts, "combinatorial": combinatorial}
        if seed is not None:
            body["seed"] = seed
        return dict(self._t.post_json("/api/v1/utilities/dynamicprompts", body, idempotent=True))


__all__ = ["Utilities"]
