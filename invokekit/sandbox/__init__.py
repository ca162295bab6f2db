"""A real InvokeAI 6.14.2 on loopback with tiny random-weight models, built and run by invokekit.

``Sandbox().up()`` installs InvokeAI into a venv in the cache (once), builds the tiny models
(once per version of their builder), starts ``invokeai-web`` on a free port and installs the
models through the model manager API; a sandbox that already runs is reused, never doubled::

    from invokekit import Sandbox

    with Sandbox() as sb:                 # stops the server on exit only if it started it
        print(sb.url, sb.db_path, sb.models)   # models: {"main": "tiny-sdxl", "vae": "tiny-sdxl-vae", ...}

The same from the shell: ``invokekit sandbox up|status|down|install [--json]``; in pytest: the
``invokeai_sandbox`` fixture. The cache is ``$INVOKEKIT_CACHE`` or ``~/.cache/invokekit``.

Servers of different speed on one machine (the pool benchmark): ``Sandbox("a", cpus=[0])`` pins a
server to CPU 0, ``threads=1`` sets its torch thread count, ``nice=5`` lowers its CPU weight
(``sandbox up --cpus 0 --threads 1 --nice 5``); ``sb.limits`` is what it runs with, kept for later
starts of that sandbox (:class:`CpuLimits`).

The models (``sb.models``: role -> name), enough for InvokeAI's shipped SD1.5/SDXL image workflows
(text to image, LoRA, ControlNet, IP-Adapter, spandrel upscaling, MultiDiffusion, tiled upscaling).
All are built offline in seconds (~135 MB in all, most of it the SDXL's text encoders)::

    main                tiny-sdxl                       main, sdxl          97 MB
    vae                 tiny-sdxl-vae                   vae, sdxl           1.5 MB
    controlnet          tiny-sdxl-controlnet            controlnet, sdxl    11 MB
    sd15                tiny-sd15                       main, sd-1          18 MB
    sd15_controlnet     tiny-sd15-controlnet            controlnet, sd-1    2.6 MB
    sd15_lora           tiny-sd15-lora                  lora, sd-1          0.1 MB
    sd15_ip_adapter     tiny-sd15-ip-adapter            ip_adapter, sd-1    1.9 MB
    sd15_image_encoder  IP Adapter SD1.5 Image Encoder  clip_vision, any    0.4 MB
    upscaler            tiny-upscaler                   spandrel, any       0.9 MB (4x ESRGAN)

The image encoder has InvokeAI's name rather than a ``tiny-`` one: the ``ip_adapter`` node looks
a checkpoint IP-Adapter's encoder up by the fixed starter-model name of its ``clip_vision_model``
("ViT-H" -> "IP Adapter SD1.5 Image Encoder") and downloads it when no model has that name.

What InvokeAI 6.14.2 refuses, and so is not built:

- IP-Adapters in InvokeAI's own folder format (``ip_adapter.bin`` + ``image_encoder.txt``): the
  probe fails on every such folder with pydantic's ``image_encoder_model_id: Field required``
  (``IPAdapter_InvokeAI_SD1_Config``: the probe never fills the field in and an install request
  cannot pass it), and the model is recorded as type "unknown". The checkpoint format is built.
- Not a probe refusal, but no installed model helps: the legacy ``esrgan`` node ("ESRGAN Upscaling
  with Canny ControlNet") downloads a fixed RealESRGAN file by URL (``load_remote_model``), and the
  ``canny_image_processor`` / ``midas_depth_image_processor`` nodes of "Multi ControlNet" are gone
  from 6.14.2 (the server answers 422 "does not match any of the expected tags").

Checked end to end on the sandbox with these models: "Text to Image - SD1.5", "Text to Image with
LoRA", "MultiDiffusion SDXL", "MultiDiffusion SD1.5" and "Tiled Upscaling (Beta)" (a 256 px image
to 512 px: about two minutes on a busy two-core CPU).
"""

from invokekit.sandbox._layout import INVOKEAI_VERSION, MODEL_NAMES, REQUIREMENTS, default_cache_dir
from invokekit.sandbox._limits import CpuLimits
from invokekit.sandbox._sandbox import Sandbox

__all__ = ["INVOKEAI_VERSION", "MODEL_NAMES", "REQUIREMENTS", "CpuLimits", "Sandbox", "default_cache_dir"]
