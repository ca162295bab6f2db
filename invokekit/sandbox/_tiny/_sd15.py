"""The tiny SD1.5: a diffusers ``StableDiffusionPipeline`` folder without a safety checker.

InvokeAI classifies it SD1 from the UNet's ``cross_attention_dim`` 768 (so the one text encoder is
768 wide; one layer keeps it at ~9 MB, most of the model), "normal" from ``in_channels`` 4 and
epsilon from the scheduler config. The VAE scales by 8 (4 blocks) with SD1's scaling factor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._backbone import SCHEDULER_BETAS, make_unet, make_vae
from ._text import text_config, tokenizer

SEED = 20261201
TEXT_HIDDEN = 768  # SD1's token vector length: InvokeAI reads it off the UNet (and a LoRA's shapes)
SD1_VAE_SCALING = 0.18215


def build_sd15(main_dir: Path) -> Any:
    """Write the pipeline to ``main_dir``; return the UNet (the ControlNet's and the LoRA's base)."""
    import torch
    from diffusers import PNDMScheduler, StableDiffusionPipeline
    from transformers import CLIPTextModel

    torch.manual_seed(SEED)
    text_encoder = CLIPTextModel(text_config(TEXT_HIDDEN, layers=1))

    torch.manual_seed(SEED + 1)
    unet = make_unet(sample_size=64, layers_per_block=1, cross_attention_dim=TEXT_HIDDEN)

    torch.manual_seed(SEED + 2)
    vae = make_vae(sample_size=512, scaling_factor=SD1_VAE_SCALING)

    scheduler = PNDMScheduler(**SCHEDULER_BETAS, skip_prk_steps=True, set_alpha_to_one=False)

    pipe = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer(),
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    pipe.save_pretrained(main_dir, safe_serialization=True)
    return unet
