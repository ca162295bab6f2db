"""Build a tiny random-weight SDXL diffusers model and a standalone tiny SDXL VAE, deterministically.

This is a STANDALONE script: it runs under the InvokeAI venv's python (which has torch, diffusers
and transformers but not invokekit), so it imports nothing from invokekit. Usage::

    python _tiny_models.py MAIN_DIR VAE_DIR

Both directories are written from scratch (the caller passes temporary directories and renames
them into place, so a half-built model is never visible). Nothing is downloaded: the CLIP
tokenizer's byte-level BPE vocabulary is written by hand below.

Why these numbers: InvokeAI classifies a diffusers folder from its config files only. The UNet's
``cross_attention_dim`` 2048 makes it SDXL, which needs the two text encoders' hidden sizes to sum
to 2048; the second encoder's ``projection_dim`` must equal its hidden size because InvokeAI
zero-fills the pooled embedding with that size for an empty prompt. The VAE has 4 blocks so that
it scales by 8, as InvokeAI assumes. A standalone VAE is classified SDXL by ``scaling_factor``
0.13025 with ``sample_size`` 1024.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("DIFFUSERS_OFFLINE", "1")

SEED = 20261127
TEXT_HIDDEN = 1024  # each encoder; the two sum to the UNet's cross_attention_dim
TIME_EMBED = 8
SDXL_VAE_SCALING = 0.13025

# a small deterministic set of merges over common English letter pairs (any set would do)
_MERGE_PAIRS = ("th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed")


def _bytes_to_unicode() -> dict[int, str]:
    """CLIP's (and GPT-2's) reversible byte -> printable unicode character table."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, (chr(c) for c in cs), strict=True))


def build_vocab() -> tuple[dict[str, int], list[tuple[str, str]]]:
    """The byte-level BPE vocabulary laid out as CLIP's: bytes, bytes+</w>, merges, specials."""
    chars = list(_bytes_to_unicode().values())
    tokens = chars + [c + "</w>" for c in chars]
    merges: list[tuple[str, str]] = []
    for pair in _MERGE_PAIRS:
        merges.append((pair[0], pair[1]))
        tokens.append(pair)
    for pair in _MERGE_PAIRS:
        merges.append((pair[0], pair[1] + "</w>"))
        tokens.append(pair + "</w>")
    tokens += ["<|startoftext|>", "<|endoftext|>"]
    return {tok: i for i, tok in enumerate(tokens)}, merges


def build(main_dir: Path, vae_dir: Path) -> None:
    import torch
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTextModelWithProjection, CLIPTokenizer

    torch.use_deterministic_algorithms(True)
    vocab, merges = build_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77)
    tokenizer_2 = CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=77, pad_token="!")

    text_config = CLIPTextConfig(
        vocab_size=len(vocab),
        hidden_size=TEXT_HIDDEN,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=TEXT_HIDDEN,
        hidden_act="gelu",
        bos_token_id=vocab["<|startoftext|>"],
        eos_token_id=vocab["<|endoftext|>"],
        pad_token_id=vocab["<|endoftext|>"],
    )
    torch.manual_seed(SEED)
    text_encoder = CLIPTextModel(text_config)
    torch.manual_seed(SEED + 1)
    text_encoder_2 = CLIPTextModelWithProjection(text_config)

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
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        unet=unet,
        scheduler=scheduler,
    )
    pipe.save_pretrained(main_dir, safe_serialization=True)
    vae.save_pretrained(vae_dir, safe_serialization=True)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: _tiny_models.py MAIN_DIR VAE_DIR", file=sys.stderr)
        return 2
    build(Path(argv[0]), Path(argv[1]))
    print(f"built tiny SDXL model in {argv[0]} and tiny SDXL VAE in {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
