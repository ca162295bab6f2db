"""The hand-written CLIP tokenizer vocabulary and the tiny CLIP text encoders both families share.

CLIP's tokenizer is byte-level BPE: every byte has a token (alone and word-final), so any prompt
tokenizes; a few merges over common letter pairs make it a real BPE. Any merge set would do.
"""

from __future__ import annotations

from typing import Any

# a small deterministic set of merges over common English letter pairs (any set would do)
_MERGE_PAIRS = ("th", "he", "in", "er", "an", "re", "on", "at", "en", "nd", "ti", "es", "or", "te", "of", "ed")
MAX_TOKENS = 77


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


def tokenizer(**kwargs: Any) -> Any:
    """A ``CLIPTokenizer`` over :func:`build_vocab` (``kwargs``: e.g. SDXL's second ``pad_token``)."""
    from transformers import CLIPTokenizer

    vocab, merges = build_vocab()
    return CLIPTokenizer(vocab=vocab, merges=merges, model_max_length=MAX_TOKENS, **kwargs)


def text_config(hidden: int, *, layers: int) -> Any:
    """A tiny ``CLIPTextConfig``: ``hidden`` wide (what the UNet's cross-attention reads), a 64-wide MLP.

    ``projection_dim`` equals ``hidden`` because InvokeAI zero-fills an empty prompt's pooled
    embedding with the projection's size (SDXL's second encoder); SD1.5 ignores it.
    """
    from transformers import CLIPTextConfig

    vocab, _ = build_vocab()
    return CLIPTextConfig(
        vocab_size=len(vocab),
        hidden_size=hidden,
        intermediate_size=64,
        num_hidden_layers=layers,
        num_attention_heads=4,
        max_position_embeddings=MAX_TOKENS,
        projection_dim=hidden,
        hidden_act="gelu",
        bos_token_id=vocab["<|startoftext|>"],
        eos_token_id=vocab["<|endoftext|>"],
        pad_token_id=vocab["<|endoftext|>"],
    )
