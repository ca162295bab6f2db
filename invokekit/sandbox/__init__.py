"""A real InvokeAI 6.14.2 on loopback with tiny random-weight SDXL models, built and run by invokekit.

``Sandbox().up()`` installs InvokeAI into a venv in the cache (once), builds the tiny models
(once), starts ``invokeai-web`` on a free port and installs the models through the model manager
API; a sandbox that already runs is reused, never doubled::

    from invokekit import Sandbox

    with Sandbox() as sb:                 # stops the server on exit only if it started it
        print(sb.url, sb.db_path, sb.models)   # models: {"main": "tiny-sdxl", "vae": "tiny-sdxl-vae"}

The same from the shell: ``invokekit sandbox up|status|down|install [--json]``; in pytest: the
``invokeai_sandbox`` fixture. The cache is ``$INVOKEKIT_CACHE`` or ``~/.cache/invokekit``.
"""

from invokekit.sandbox._layout import INVOKEAI_VERSION, MODEL_NAMES, REQUIREMENTS, default_cache_dir
from invokekit.sandbox._sandbox import Sandbox

__all__ = ["INVOKEAI_VERSION", "MODEL_NAMES", "REQUIREMENTS", "Sandbox", "default_cache_dir"]
