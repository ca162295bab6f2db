"""The tiny SDXL: a diffusers pipeline folder and a standalone SDXL VAE.

Why these numbers: InvokeAI classifies a diffusers folder from its config files only. The UNet's
``cross_attention_dim`` 2048 makes it SDXL, which needs the two text encoders' hidden sizes to sum
to 2048. The VAE has 4 blocks so that it scales by 8, as InvokeAI assumes. A standalone VAE is
classified SDXL by ``scaling_factor`` 0.13025 with ``sample_size`` 1024.

Keep the seeds and the order of construction: the tiny SDXL is byte-identical across builder
versions, so that its hash (and saved graphs that name it) stay valid.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ._backbone import SCHEDULER_BETAS, make_unet, make_vae
from ._text import text_config, tokenizer

SEED = 20261127
TEXT_HIDDEN = 1024  # each encoder; the two sum to the UNet's cross_attention_dim
TIME_EMBED = 8
SDXL_VAE_SCALING = 0.13025


def build_sdxl(main_dir: Path, vae_dir: Path) -> Any:
    """Write the pipeline to ``main_dir`` and the VAE to ``vae_dir``; return the UNet (the ControlNet's base)."""
    import torch
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    config = text_config(TEXT_HIDDEN, layers=2)
    torch.manual_seed(SEED)
    text_encoder = CLIPTextModel(config)
    torch.manual_seed(SEED + 1)
    text_encoder_2 = CLIPTextModelWithProjection(config)

    torch.manual_seed(SEED + 2)
    unet = make_unet(
        sample_size=128,
        layers_per_block=2,
        use_linear_projection=True,
        transformer_layers_per_block=(1, 2),
        addition_embed_type="text_time",
        addition_time_embed_dim=TIME_EMBED,
        projection_class_embeddings_input_dim=6 * TIME_EMBED + TEXT_HIDDEN,
        cross_attention_dim=2 * TEXT_HIDDEN,
    )

    torch.manual_seed(SEED + 3)
    vae = make_vae(sample_size=1024, scaling_factor=SDXL_VAE_SCALING, force_upcast=True)

    scheduler = EulerDiscreteScheduler(
        **SCHEDULER_BETAS, interpolation_type="linear", use_karras_sigmas=False, timestep_spacing="leading"
    )

    pipe = StableDiffusionXLPipeline(
        vae=vae,
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        tokenizer=tokenizer(),
        tokenizer_2=tokenizer(pad_token="!"),
        unet=unet,
        scheduler=scheduler,
    )
    pipe.save_pretrained(main_dir, safe_serialization=True)
    vae.save_pretrained(vae_dir, safe_serialization=True)
    return unet
