"""Building the tiny SDXL model files in the cache, once, with the project's own builder script.

The builder (``_tiny_models.py``) runs under the InvokeAI venv's python, offline. It writes into
a temporary folder which is then renamed into place, under a file lock, so a model folder that
exists is always complete and two processes never build at once.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from filelock import FileLock

from invokekit.sandbox._layout import Layout
from invokekit.sandbox._proc import StatusCallback, clean_env, run_logged

BUILDER = Path(__file__).with_name("_tiny_models.py")


def models_are_built(layout: Layout) -> bool:
    return (layout.main_model / "model_index.json").is_file() and (layout.vae_model / "config.json").is_file()


def ensure_model_files(layout: Layout, *, status: StatusCallback | None = None) -> tuple[Path, Path]:
    """Return the paths of the tiny main model and VAE folders, building them first if missing."""
    if models_are_built(layout):
        return layout.main_model, layout.vae_model
    layout.models_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(layout.models_lock)):
        if models_are_built(layout):
            return layout.main_model, layout.vae_model
        if status:
            status(f"building the tiny SDXL models in {layout.models_dir}")
        env = clean_env(HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONHASHSEED="0")
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=layout.models_dir))
        try:
            run_logged(
                [layout.venv_python, BUILDER, tmp / "main", tmp / "vae"],
                log_path=layout.models_log,
                what="building the tiny SDXL models",
                status=status,
                env=env,
            )
            for built, final in ((tmp / "main", layout.main_model), (tmp / "vae", layout.vae_model)):
                if not final.exists():  # deterministic build: an existing folder is identical
                    built.rename(final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return layout.main_model, layout.vae_model
