"""The graphs and settings the tests send, defined once (``from _graphs import ...`` anywhere under tests/).

Model-free API graphs run in milliseconds on any InvokeAI (no model needed) and never come from the
server's cache, so each submission really runs. They are plain API-graph dicts on purpose: they are
what a user passes as a raw graph, the entrance the tests using them exercise. (The bench's own
model-free graph, built through :class:`~invokekit.workflow.Batch`, is
``invokekit.bench._tools.model_free_graph``.)
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from invokekit.sandbox import MODEL_NAMES


def edge(src: str, dst: str, field: str = "image") -> dict[str, Any]:
    """An edge from ``src.field`` to ``dst.field``."""
    return {"source": {"node_id": src, "field": field}, "destination": {"node_id": dst, "field": field}}


def blank_resize(width: int = 40, height: int = 24, *, blank: tuple[int, int] = (16, 16)) -> dict[str, Any]:
    """blank image (``blank`` px, intermediate) -> resize to ``width`` x ``height``: one image is kept."""
    return {
        "nodes": {
            "blank": {"id": "blank", "type": "blank_image", "width": blank[0], "height": blank[1],
                      "is_intermediate": True},
            "resize": {"id": "resize", "type": "img_resize", "width": width, "height": height, "use_cache": False},
        },
        "edges": [edge("blank", "resize")],
    }


def slow_graph(blurs: int = 2) -> dict[str, Any]:
    """A few seconds of CPU work with no model: a big blank image blurred ``blurs`` times, then shrunk
    to 32 x 32 (node "out")."""
    blur = {"type": "img_blur", "radius": 60, "blur_type": "gaussian", "is_intermediate": True, "use_cache": False}
    chain = ["blank", *(f"b{i}" for i in range(1, blurs + 1)), "out"]
    return {
        "nodes": {
            "blank": {"id": "blank", "type": "blank_image", "width": 2500, "height": 2500, "is_intermediate": True},
            **{name: {"id": name, **blur} for name in chain[1:-1]},
            "out": {"id": "out", "type": "img_resize", "width": 32, "height": 32, "use_cache": False},
        },
        "edges": [edge(src, dst) for src, dst in itertools.pairwise(chain)],
    }


def integer_div(*, fail: bool = False, id_prefix: str = "ik-monitor") -> dict[str, Any]:
    """integer -> div, with a random id and input; ``fail`` divides by zero at run time (the graph is
    valid, so the server accepts it and the item fails while running)."""
    return {
        "id": f"{id_prefix}-{random.randrange(10**9)}",
        "nodes": {
            "a": {"id": "a", "type": "integer", "value": random.randrange(1, 10**6)},
            "d": {"id": "d", "type": "div", "a": 10, "b": 0 if fail else 2, "use_cache": False},
        },
        "edges": [{"source": {"node_id": "a", "field": "value"}, "destination": {"node_id": "d", "field": "a"}}],
    }


def tiny_sdxl(size: int = 64, steps: int = 1, **more: Any) -> dict[str, Any]:
    """``Workflow.set`` values for the shipped SDXL workflows on the sandbox's tiny models: small and
    fast (``size`` px square, ``steps`` denoising steps), plus ``more``."""
    return {"model": MODEL_NAMES["main"], "vae": MODEL_NAMES["vae"], "width": size, "height": size, "steps": steps,
            **more}
