"""The tiny random-weight models the sandbox builds, and the version of the code that builds them.

This package is the builder. It runs under the InvokeAI venv's python (which has torch, diffusers,
transformers and spandrel but not invokekit) as ``python -m _tiny OUT_DIR`` with this folder's
parent on ``PYTHONPATH``, and it is imported by invokekit for :data:`TINY_MODELS` and
:func:`builder_key`. So this module imports only the standard library, and the building modules
import torch inside their functions.

Nothing is downloaded: weights are random (seeded, so a build is byte-for-byte reproducible on the
pinned torch), tokenizers are written by hand (``_text``). Each model is as small as InvokeAI
6.14.2's model probe and its nodes allow; the modules say which numbers the probe reads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TinyModel:
    """One model the sandbox builds and installs; ``type``/``base`` are what InvokeAI must classify it as."""

    role: str  # its key in Sandbox.models / MODEL_NAMES
    name: str  # its name on the server
    type: str
    base: str
    filename: str  # the file (.safetensors) or diffusers folder under the build folder
    description: str

    @property
    def is_file(self) -> bool:
        return self.filename.endswith(".safetensors")


def _tiny(what: str) -> str:
    return f"invokekit tiny random-weight {what}"


# InvokeAI's ip_adapter node finds the image encoder of a checkpoint IP-Adapter by a fixed name
# (its clip_vision_model "ViT-H" means the starter model "IP Adapter SD1.5 Image Encoder") and
# downloads that model when none has the name: the tiny encoder must carry that name.
SD15_IMAGE_ENCODER = "IP Adapter SD1.5 Image Encoder"

TINY_MODELS: tuple[TinyModel, ...] = (
    TinyModel("main", "tiny-sdxl", "main", "sdxl", "tiny-sdxl", _tiny("SDXL model")),
    TinyModel("vae", "tiny-sdxl-vae", "vae", "sdxl", "tiny-sdxl-vae", _tiny("SDXL VAE")),
    TinyModel("controlnet", "tiny-sdxl-controlnet", "controlnet", "sdxl", "tiny-sdxl-controlnet",
              _tiny("SDXL ControlNet (for tiny-sdxl)")),
    TinyModel("sd15", "tiny-sd15", "main", "sd-1", "tiny-sd15", _tiny("SD1.5 model")),
    TinyModel("sd15_controlnet", "tiny-sd15-controlnet", "controlnet", "sd-1", "tiny-sd15-controlnet",
              _tiny("SD1.5 ControlNet (for tiny-sd15)")),
    TinyModel("sd15_lora", "tiny-sd15-lora", "lora", "sd-1", "tiny-sd15-lora.safetensors",
              _tiny("SD1.5 LoRA (for tiny-sd15)")),
    TinyModel("sd15_ip_adapter", "tiny-sd15-ip-adapter", "ip_adapter", "sd-1", "tiny-sd15-ip-adapter.safetensors",
              _tiny(f"SD1.5 IP-Adapter (for tiny-sd15; clip_vision_model ViT-H: {SD15_IMAGE_ENCODER!r})")),
    TinyModel("sd15_image_encoder", SD15_IMAGE_ENCODER, "clip_vision", "any", "tiny-sd15-image-encoder",
              _tiny("CLIP Vision image encoder (for tiny-sd15-ip-adapter, named as the ip_adapter node wants)")),
    TinyModel("upscaler", "tiny-upscaler", "spandrel_image_to_image", "any", "tiny-upscaler.safetensors",
              _tiny("4x ESRGAN upscaler (spandrel)")),
)


def builder_key(package_dir: Path | None = None) -> str:
    """A digest of the builder's source (this package's): a changed builder builds into a new folder.

    Read afresh each time (a few small files): an edited builder counts at once.
    """
    digest = hashlib.sha256()
    for source in sorted((package_dir or Path(__file__).parent).glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes() + b"\0")
    return digest.hexdigest()[:12]
