"""The UNet, VAE and scheduler betas the tiny SD1.5 and SDXL share; each family adds its own numbers.

Both UNets are two levels deep (one plain, one cross-attention block, 32 then 64 channels, the
smallest widths ``norm_num_groups`` 32 allows); both VAEs have 4 blocks, so they scale by 8 as
InvokeAI assumes. What InvokeAI's probe reads to tell the families apart (``cross_attention_dim``,
the VAE's ``scaling_factor`` and ``sample_size``) stays in ``_sd15`` and ``_sdxl``.

The built configs must not change: a model's hash (and the saved graphs that name it) depends on
them, so these are exactly the arguments each family's builder used to spell out.
"""

from __future__ import annotations

from typing import Any

UNET_SHAPE: dict[str, Any] = {
    "in_channels": 4,  # "normal" (not inpainting: 9)
    "out_channels": 4,
    "block_out_channels": (32, 64),
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "UpBlock2D"),
    "attention_head_dim": (2, 4),
    "norm_num_groups": 32,
}

VAE_SHAPE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (32, 32, 32, 32),
    "layers_per_block": 1,
    "latent_channels": 4,
    "norm_num_groups": 32,
}

#: the betas (and prediction type) of both families' schedulers, as Stable Diffusion trained them
SCHEDULER_BETAS: dict[str, Any] = {
    "num_train_timesteps": 1000,
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "prediction_type": "epsilon",
    "steps_offset": 1,
}


def make_unet(**family: Any) -> Any:
    """A ``UNet2DConditionModel`` of the shared shape with ``family``'s arguments (seed it first)."""
    from diffusers import UNet2DConditionModel

    return UNet2DConditionModel(**UNET_SHAPE, **family)


def make_vae(**family: Any) -> Any:
    """An ``AutoencoderKL`` of the shared shape with ``family``'s arguments (seed it first)."""
    from diffusers import AutoencoderKL

    return AutoencoderKL(**VAE_SHAPE, **family)


__all__ = ["SCHEDULER_BETAS", "UNET_SHAPE", "VAE_SHAPE", "make_unet", "make_vae"]
