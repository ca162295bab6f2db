"""Workflows in InvokeAI's UI format for the media tests (not a test module): image inputs in small."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))

from wfbuild import MISSING, edge, node, workflow

IMAGE = "aaaaaaaa-0000-4000-8000-000000000001"
BLUR = "aaaaaaaa-0000-4000-8000-000000000002"
MODEL, POS, NEG, NOISE, I2L, DENOISE, L2I = (f"bbbbbbbb-0000-4000-8000-00000000000{i}" for i in range(1, 8))


def blur_workflow(radius: float = 2.0) -> dict[str, Any]:
    """Model-free: an image primitive (form label "Photo") -> a blur that saves its result."""
    nodes = [
        node(IMAGE, "image", {"image": MISSING}, label="Photo"),
        node(BLUR, "img_blur", {"board": MISSING, "metadata": MISSING, "image": MISSING, "radius": radius,
                                "blur_type": "gaussian"}, label="Blurred", intermediate=False, use_cache=False),
    ]
    raw = workflow(nodes, [edge(IMAGE, "image", BLUR, "image")])
    raw["form"] = None
    raw["exposedFields"] = [{"nodeId": IMAGE, "fieldName": "image"}]
    return raw


def sdxl_image_to_image(size: int = 64, strength: float = 0.5) -> dict[str, Any]:
    """SDXL image to image: image primitive -> i2l -> denoise (denoising_start > 0) -> l2i."""
    cond = {"prompt": "a lighthouse", "style": "", "original_width": size, "original_height": size, "crop_top": 0,
            "crop_left": 0, "target_width": size, "target_height": size, "clip": MISSING, "clip2": MISSING}
    nodes = [
        node(IMAGE, "image", {"image": MISSING}, label="Initial Image"),
        node(MODEL, "sdxl_model_loader", {"model": MISSING}, label="SDXL Model"),
        node(POS, "sdxl_compel_prompt", cond, label="Positive Prompt"),
        node(NEG, "sdxl_compel_prompt", {**cond, "prompt": ""}, label="Negative Prompt"),
        node(NOISE, "noise", {"seed": 1, "width": size, "height": size, "use_cpu": True}, label="Noise"),
        node(I2L, "i2l", {"image": MISSING, "vae": MISSING, "tiled": False, "tile_size": 0, "fp32": True}),
        node(DENOISE, "denoise_latents", {
            "positive_conditioning": MISSING, "negative_conditioning": MISSING, "noise": MISSING, "steps": 2,
            "cfg_scale": 5.0, "denoising_start": 1 - strength, "denoising_end": 1.0, "scheduler": "euler",
            "unet": MISSING, "latents": MISSING}, label="Denoise"),
        node(L2I, "l2i", {"board": MISSING, "metadata": MISSING, "latents": MISSING, "vae": MISSING, "tiled": False,
                          "tile_size": 0, "fp32": True}, label="Output", intermediate=False, use_cache=False),
    ]
    wires = [(IMAGE, "image", I2L, "image"), (MODEL, "vae", I2L, "vae"), (MODEL, "clip", POS, "clip"),
             (MODEL, "clip2", POS, "clip2"), (MODEL, "clip", NEG, "clip"), (MODEL, "clip2", NEG, "clip2"),
             (MODEL, "unet", DENOISE, "unet"), (POS, "conditioning", DENOISE, "positive_conditioning"),
             (NEG, "conditioning", DENOISE, "negative_conditioning"), (NOISE, "noise", DENOISE, "noise"),
             (I2L, "latents", DENOISE, "latents"), (DENOISE, "latents", L2I, "latents"), (MODEL, "vae", L2I, "vae")]
    raw = workflow(nodes, [edge(*w) for w in wires])
    raw["exposedFields"] = [{"nodeId": IMAGE, "fieldName": "image"}, {"nodeId": MODEL, "fieldName": "model"}]
    return raw


CONCAT = "cccccccc-0000-4000-8000-000000000001"


def video_concat_workflow() -> dict[str, Any]:
    """Model-free video: a "Video Concatenate" node whose videos the test sets (local MP4 files)."""
    nodes = [node(CONCAT, "video_concat", {"board": MISSING, "metadata": MISSING, "videos": MISSING,
                                            "transition": "cut", "transition_frames": 8, "fps": MISSING},
                  label="Joined", intermediate=False, use_cache=False)]
    return workflow(nodes)


def ffmpeg() -> str:
    """The ffmpeg bundled with InvokeAI's own venv (imageio-ffmpeg)."""
    import subprocess

    from invokekit.sandbox._layout import Layout, default_cache_dir

    python = Layout(default_cache_dir().absolute()).venv_python
    find = "import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())"
    return subprocess.run([str(python), "-c", find], capture_output=True, text=True, check=True).stdout.strip()


def h264_clip(path: Path, frames: int, size: str = "32x16", rate: int = 8) -> Path:
    """An H.264 MP4 of ``frames`` test-pattern frames (what InvokeAI accepts)."""
    import subprocess

    source = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}", "-frames:v", str(frames)]
    subprocess.run([ffmpeg(), "-y", *source, "-c:v", "libx264", "-pix_fmt", "yuv420p", str(path)],
                   capture_output=True, check=True, timeout=60)
    return path


def count_frames(path: Path) -> int:
    """Decode every frame of ``path`` with ffmpeg (fails on an unplayable file); return how many."""
    import re
    import subprocess

    done = subprocess.run([ffmpeg(), "-v", "error", "-stats", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return int(re.findall(r"frame=\s*(\d+)", done.stderr)[-1])
