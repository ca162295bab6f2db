"""The tiny upscaler: an ESRGAN (RRDBNet) state dict that spandrel recognises as a 4x model.

InvokeAI accepts a spandrel model if ``spandrel.ModelLoader`` loads the file; spandrel tells ESRGAN
apart by its keys (``model.0.weight``, ``model.1.sub.0.RDB1.conv1.0.weight``) and reads the scale
from the number of upsampling stages and the width from ``model.0.weight``. The network is spandrel's
own ``RRDBNet`` with 8 filters and 1 block (spandrel fixes the dense blocks' growth at 32 channels).
"""

from __future__ import annotations

from pathlib import Path

SEED = 20261203
SCALE = 4
FILTERS = 8
BLOCKS = 1


def build_upscaler(out_file: Path) -> None:
    """Write the upscaler's weights to ``out_file`` (safetensors)."""
    import torch
    from safetensors.torch import save_file
    from spandrel.architectures.ESRGAN import ESRGAN

    torch.manual_seed(SEED)
    model = ESRGAN(in_nc=3, out_nc=3, num_filters=FILTERS, num_blocks=BLOCKS, scale=SCALE)
    tensors = {key: value.detach().clone().contiguous() for key, value in model.state_dict().items()}
    save_file(tensors, str(out_file))
