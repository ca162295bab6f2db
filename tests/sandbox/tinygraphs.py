"""Plain API graphs over the sandbox's tiny models, for the image-model tests (not a test module)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Link = tuple[str, str, str, str]  # source node, source field, destination node, destination field


def model_ref(record: Mapping[str, Any]) -> dict[str, Any]:
    """The identifier a model field takes, from a model record of the server's list."""
    return {k: record[k] for k in ("key", "hash", "name", "base", "type")}


def graph(graph_id: str, nodes: Mapping[str, dict[str, Any]], links: Iterable[Link]) -> dict[str, Any]:
    """An API graph; every node but those marked otherwise is intermediate and uncached."""
    built = {}
    for node_id, node in nodes.items():
        built[node_id] = {"id": node_id, "is_intermediate": True, "use_cache": False, **node}
    edges = [
        {"source": {"node_id": s, "field": sf}, "destination": {"node_id": d, "field": df}} for s, sf, d, df in links
    ]
    return {"id": graph_id, "nodes": built, "edges": edges}


def _canvas(size: int, r: int, g: int, b: int) -> dict[str, Any]:
    return {"type": "blank_image", "width": size, "height": size, "color": {"r": r, "g": g, "b": b, "a": 255}}


def control_image_nodes(size: int, seed: int) -> tuple[dict[str, dict[str, Any]], list[Link]]:
    """Model-free nodes making a control image: a grey canvas, noise on it, its canny edges (node "edges")."""
    nodes: dict[str, dict[str, Any]] = {
        "canvas": _canvas(size, 128, 128, 128),
        "grain": {"type": "img_noise", "seed": seed, "amount": 0.5},
        "edges": {"type": "canny_edge_detection", "low_threshold": 50, "high_threshold": 100},
    }
    return nodes, [("canvas", "image", "grain", "image"), ("grain", "image", "edges", "image")]


def sd15_text_to_image(
    main: Mapping[str, Any],
    *,
    seed: int,
    size: int = 64,
    lora: Mapping[str, Any] | None = None,
    lora_weight: float = 1.0,
    controlnet: Mapping[str, Any] | None = None,
    control_weight: float = 1.0,
    ip_adapter: Mapping[str, Any] | None = None,
    ip_adapter_weight: float = 1.0,
) -> dict[str, Any]:
    """InvokeAI's "Text to Image - SD1.5" graph in small: loader -> [LoRA] -> compel -> denoise -> l2i,
    with an optional ControlNet or IP-Adapter on a model-free image."""
    nodes: dict[str, dict[str, Any]] = {
        "loader": {"type": "main_model_loader", "model": dict(main)},
        "pos": {"type": "compel", "prompt": "a lighthouse on a cliff"},
        "neg": {"type": "compel", "prompt": ""},
        "noise": {"type": "noise", "seed": seed, "width": size, "height": size, "use_cpu": True},
        "denoise": {"type": "denoise_latents", "steps": 2, "cfg_scale": 5.0, "scheduler": "euler"},
        "l2i": {"type": "l2i", "fp32": True, "is_intermediate": False},
    }
    source = "loader"
    links: list[Link] = []
    if lora is not None:
        nodes["lora"] = {"type": "lora_loader", "lora": dict(lora), "weight": lora_weight}
        links += [("loader", "unet", "lora", "unet"), ("loader", "clip", "lora", "clip")]
        source = "lora"
    links += [
        (source, "clip", "pos", "clip"),
        (source, "clip", "neg", "clip"),
        (source, "unet", "denoise", "unet"),
        ("loader", "vae", "l2i", "vae"),
        ("pos", "conditioning", "denoise", "positive_conditioning"),
        ("neg", "conditioning", "denoise", "negative_conditioning"),
        ("noise", "noise", "denoise", "noise"),
        ("denoise", "latents", "l2i", "latents"),
    ]
    if controlnet is not None:
        _add_control(nodes, links, controlnet, control_weight, size, seed)
    if ip_adapter is not None:
        image_nodes, image_links = control_image_nodes(size, seed)
        nodes.update(image_nodes)
        nodes["ip"] = {"type": "ip_adapter", "ip_adapter_model": dict(ip_adapter), "clip_vision_model": "ViT-H",
                       "weight": ip_adapter_weight}
        links += [*image_links, ("grain", "image", "ip", "image"), ("ip", "ip_adapter", "denoise", "ip_adapter")]
    return graph(f"sd15-{seed}", nodes, links)


def sdxl_text_to_image(
    main: Mapping[str, Any],
    vae: Mapping[str, Any],
    *,
    seed: int,
    size: int = 64,
    controlnet: Mapping[str, Any] | None = None,
    control_weight: float = 1.0,
) -> dict[str, Any]:
    """InvokeAI's SDXL text-to-image graph in small, with an optional ControlNet on a model-free control image."""

    def prompt(text: str) -> dict[str, Any]:
        sizes = {f"{k}_{d}": size for k in ("original", "target") for d in ("width", "height")}
        return {"type": "sdxl_compel_prompt", "prompt": text, "style": text, **sizes}

    nodes: dict[str, dict[str, Any]] = {
        "loader": {"type": "sdxl_model_loader", "model": dict(main)},
        "vae": {"type": "vae_loader", "vae_model": dict(vae)},
        "pos": prompt("a lighthouse on a cliff"),
        "neg": prompt(""),
        "noise": {"type": "noise", "seed": seed, "width": size, "height": size, "use_cpu": True},
        "denoise": {"type": "denoise_latents", "steps": 2, "cfg_scale": 5.0, "scheduler": "euler"},
        "l2i": {"type": "l2i", "fp32": True, "is_intermediate": False},
    }
    links: list[Link] = [
        ("loader", "clip", "pos", "clip"),
        ("loader", "clip2", "pos", "clip2"),
        ("loader", "clip", "neg", "clip"),
        ("loader", "clip2", "neg", "clip2"),
        ("loader", "unet", "denoise", "unet"),
        ("pos", "conditioning", "denoise", "positive_conditioning"),
        ("neg", "conditioning", "denoise", "negative_conditioning"),
        ("noise", "noise", "denoise", "noise"),
        ("denoise", "latents", "l2i", "latents"),
        ("vae", "vae", "l2i", "vae"),
    ]
    if controlnet is not None:
        _add_control(nodes, links, controlnet, control_weight, size, seed)
    return graph(f"sdxl-{seed}", nodes, links)


def _add_control(
    nodes: dict[str, dict[str, Any]],
    links: list[Link],
    controlnet: Mapping[str, Any],
    weight: float,
    size: int,
    seed: int,
) -> None:
    control_nodes, control_links = control_image_nodes(size, seed)
    nodes.update(control_nodes)
    nodes["control"] = {"type": "controlnet", "control_model": dict(controlnet), "control_weight": weight}
    links += [*control_links, ("edges", "image", "control", "image"), ("control", "control", "denoise", "control")]


def upscale(upscaler: Mapping[str, Any], *, size: int, seed: int) -> dict[str, Any]:
    """A noisy ``size`` px image through the spandrel upscaler (one tile)."""
    nodes: dict[str, dict[str, Any]] = {
        "canvas": _canvas(size, 90, 140, 200),
        "grain": {"type": "img_noise", "seed": seed, "amount": 0.3},
        "upscale": {"type": "spandrel_image_to_image", "image_to_image_model": dict(upscaler)},
    }
    nodes["upscale"]["is_intermediate"] = False
    links: list[Link] = [("canvas", "image", "grain", "image"), ("grain", "image", "upscale", "image")]
    return graph(f"upscale-{seed}", nodes, links)
