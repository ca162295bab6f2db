"""``python -m _tiny OUT_DIR``: build every model of :data:`TINY_MODELS` into ``OUT_DIR``, offline.

``OUT_DIR`` must be empty or missing: the caller builds into a temporary folder and renames it into
place, so a half-built model is never visible.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

for _var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "DIFFUSERS_OFFLINE"):
    os.environ.setdefault(_var, "1")

from . import TINY_MODELS  # noqa: E402


def build(out_dir: Path) -> None:
    import torch

    from ._adapters import build_controlnet, build_sd15_lora
    from ._ip_adapter import build_image_encoder, build_ip_adapter
    from ._sd15 import build_sd15
    from ._sdxl import build_sdxl
    from ._upscaler import build_upscaler

    torch.use_deterministic_algorithms(True)
    path = {m.role: out_dir / m.filename for m in TINY_MODELS}
    sdxl_unet = build_sdxl(path["main"], path["vae"])
    build_controlnet(sdxl_unet, path["controlnet"], seed_offset=0)
    sd15_unet = build_sd15(path["sd15"])
    build_controlnet(sd15_unet, path["sd15_controlnet"], seed_offset=1)
    build_sd15_lora(sd15_unet, path["sd15_lora"])
    build_ip_adapter(sd15_unet, path["sd15_ip_adapter"])
    build_image_encoder(path["sd15_image_encoder"])
    build_upscaler(path["upscaler"])
    missing = [name for name in path.values() if not name.exists()]
    if missing:
        raise RuntimeError(f"the builder did not write {missing}")


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m _tiny OUT_DIR", file=sys.stderr)
        return 2
    began = time.monotonic()
    build(Path(argv[0]))
    print(f"built {len(TINY_MODELS)} tiny models in {argv[0]} in {time.monotonic() - began:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
