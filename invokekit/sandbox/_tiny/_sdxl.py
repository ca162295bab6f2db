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

from ._text import text_config, tokenizer

SEED = 20261127
TEXT_HIDDEN = 1024  # each encoder; the two sum to the UNet's cross_attention_dim
TIME_EMBED = 8
SDXL_VAE_SCALING = 0.13025


def build_sdxl(main_dir: Path, vae_dir: Path) -> Any:
    """Write the pipeline to ``main_dir`` and the VAE to ``vae_dir``; return the UNet (the ControlNet's base)."""
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel, CLIPTextModelWithProjection

    config = text_config(TEXT_HIDDEN, layers=2)
    torch.manual_seed(SEED)
    text_encoder = CLIPTextModel(config)
    torch.manual_seed(SEED + 1)
    text_encoder_2 = CLIPTextModelWithProjection(config)

    torch.manual_seed(SEED + 2)
    unet = UNet2DConditionModel(
        sample_size=128,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=2,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        transformer_layers_per_block=(1, 2),
        addition_embed_type="text_time",
        addition_time_embed_dim=TIME_EMBED,
        projection_class_embeddings_input_dim=6 * TIME_EMBED + TEXT_HIDDEN,
        cross_attention_dim=2 * TEXT_HIDDEN,
        norm_num_groups=32,
    )

    torch.manual_seed(SEED + 3)
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(32, 32, 32, 32),
        layers_per_block=1,
        latent_channels=4,
        norm_num_groups=32,
        sample_size=1024,
        scaling_factor=SDXL_VAE_SCALING,
        force_upcast=True,
    )

    scheduler = EulerDiscreteScheduler(
        num_train_timesteps=1000,
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        prediction_type="epsilon",
        interpolation_type="linear",
        use_karras_sigmas=False,
        timestep_spacing="leading",
        steps_offset=1,
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
