"""Models that attach to a tiny main model: a ControlNet per family, and an SD1.5 LoRA.

A ControlNet is the main model's UNet encoder (``ControlNetModel.from_unet``), so its
``cross_attention_dim`` (what InvokeAI reads for the base) and its block shapes match the UNet it
steers. The LoRA is in kohya's format (``lora_unet_<module path with _>``): InvokeAI finds a LoRA by
those prefixes, reads the base off the width of a cross-attention ``to_k`` (768: SD1) and patches
the modules by name, so it targets real layers of the tiny SD1.5 UNet and text encoder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SEED = 20261202
LORA_RANK = 4
# the control image is embedded down to latent size (8x) by 4 convolution stages; narrow ones suffice
CONDITIONING_CHANNELS = (8, 8, 16, 16)
OUTPUT_STD = 0.05  # of the ControlNet's output convolutions
LORA_STD = 0.1  # of both LoRA factors: the patch is then as large as the weights it patches


def build_controlnet(unet: Any, out_dir: Path, *, seed_offset: int) -> None:
    """Write a diffusers ControlNet for ``unet`` to ``out_dir``."""
    import torch
    from diffusers import ControlNetModel

    torch.manual_seed(SEED + seed_offset)
    controlnet = ControlNetModel.from_unet(unet, conditioning_embedding_out_channels=CONDITIONING_CHANNELS)
    # an untrained ControlNet's output convolutions are zeros (it steers nothing); random ones make
    # the control image change the result, so that a graph shows the ControlNet took part
    zeroed = [*controlnet.controlnet_down_blocks, controlnet.controlnet_mid_block]
    with torch.no_grad():
        for conv in [*zeroed, controlnet.controlnet_cond_embedding.conv_out]:
            torch.nn.init.normal_(conv.weight, std=OUTPUT_STD)
    controlnet.save_pretrained(out_dir, safe_serialization=True)


def build_sd15_lora(unet: Any, out_file: Path) -> None:
    """Write a kohya-format LoRA over every cross-attention key/value projection of ``unet`` to ``out_file``."""
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(SEED + 100)
    tensors: dict[str, torch.Tensor] = {}
    for path, module in sorted(unet.named_modules()):
        if not path.endswith(("attn2.to_k", "attn2.to_v")):
            continue
        key = "lora_unet_" + path.replace(".", "_")
        out_features, in_features = module.weight.shape
        tensors[f"{key}.lora_down.weight"] = torch.randn(LORA_RANK, in_features, generator=generator) * LORA_STD
        tensors[f"{key}.lora_up.weight"] = torch.randn(out_features, LORA_RANK, generator=generator) * LORA_STD
        tensors[f"{key}.alpha"] = torch.tensor(float(LORA_RANK))
    save_file(tensors, str(out_file), metadata={"format": "pt"})  # one key: safetensors orders several at random
