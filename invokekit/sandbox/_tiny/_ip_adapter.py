"""The tiny SD1.5 IP-Adapter (a checkpoint file) and the CLIP Vision image encoder it works with.

InvokeAI takes a file for a checkpoint IP-Adapter when it has ``image_proj.`` / ``ip_adapter.`` keys,
and reads the base off ``ip_adapter.1.to_k_ip.weight`` (768 wide: SD1). At run time the adapter
gives each cross-attention of the UNet extra key/value projections, found by the index of that
attention among all the UNet's attention processors, so the weights are laid out over the tiny
SD1.5 UNet. ``image_proj`` turns the encoder's image embedding (``projection_dim`` wide) into 4
prompt tokens. The encoder is a one-layer ``CLIPVisionModelWithProjection`` over 224 px images (the
size InvokeAI's default ``CLIPImageProcessor`` crops to) in 32 px patches.

InvokeAI's own folder format ("invokeai": ``ip_adapter.bin`` + ``image_encoder.txt``) is refused by
6.14.2's probe whatever the folder holds: its config requires ``image_encoder_model_id``, which the
probe never fills in (and an install request cannot pass), so only the checkpoint format is built.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SEED = 20261204
TOKENS = 4  # IP-Adapter's image prompt tokens (InvokeAI's default num_tokens)
EMBED = 32  # the image encoder's projection_dim


def build_image_encoder(out_dir: Path) -> None:
    """Write a tiny CLIP Vision encoder (diffusers-style folder: config.json + model.safetensors)."""
    import torch
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    torch.manual_seed(SEED)
    config = CLIPVisionConfig(
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=4,
        image_size=224,
        patch_size=32,
        projection_dim=EMBED,
    )
    CLIPVisionModelWithProjection(config).save_pretrained(out_dir, safe_serialization=True)


def build_ip_adapter(unet: Any, out_file: Path) -> None:
    """Write an IP-Adapter checkpoint for ``unet`` (an SD-family UNet) to ``out_file``."""
    import torch
    from safetensors.torch import save_file

    generator = torch.Generator().manual_seed(SEED + 1)
    context = unet.config.cross_attention_dim

    def randn(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, generator=generator) * 0.05

    tensors = {
        "image_proj.proj.weight": randn(TOKENS * context, EMBED),
        "image_proj.proj.bias": torch.zeros(TOKENS * context),
        "image_proj.norm.weight": torch.ones(context),
        "image_proj.norm.bias": torch.zeros(context),
    }
    for index, name in enumerate(unet.attn_processors):
        if name.endswith("attn2.processor"):
            attention = unet.get_submodule(name.removesuffix(".processor"))
            tensors[f"ip_adapter.{index}.to_k_ip.weight"] = randn(attention.to_k.out_features, context)
            tensors[f"ip_adapter.{index}.to_v_ip.weight"] = randn(attention.to_v.out_features, context)
    save_file(tensors, str(out_file))
