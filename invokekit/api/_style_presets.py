"""Style presets: saved positive/negative prompt templates ("{prompt}, cinematic ...")."""

from __future__ import annotations

from typing import Any

from invokekit.api._base import Namespace


class StylePresets(Namespace):
    def list(self) -> list[dict[str, Any]]:
        """Every style preset (``name``, ``preset_data`` with the prompt templates, ``type``)."""
        return list(self._t.get_json("/api/v1/style_presets/") or [])


__all__ = ["StylePresets"]
