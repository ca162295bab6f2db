"""Building the tiny model files in the cache, once per builder version, with the project's own builder.

The builder (the ``_tiny`` package) runs under the InvokeAI venv's python, offline. It writes every
model into a temporary folder which is then renamed into place as ``models/build-<key>/``, under a
file lock, so a build folder that exists is always complete and two processes never build at once.
``<key>`` is a digest of the builder's source: a changed builder builds anew instead of reusing
models it would no longer make (folders of older builders are left alone: servers may still use them).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from filelock import FileLock

from invokekit.sandbox._layout import Layout
from invokekit.sandbox._proc import StatusCallback, clean_env, run_logged
from invokekit.sandbox._tiny import TINY_MODELS, TinyModel

BUILDER_PACKAGE = Path(__file__).with_name("_tiny")


def models_are_built(layout: Layout) -> bool:
    return all(layout.model_path(model).exists() for model in TINY_MODELS)


def _paths(layout: Layout) -> dict[TinyModel, Path]:
    return {model: layout.model_path(model) for model in TINY_MODELS}


def ensure_model_files(layout: Layout, *, status: StatusCallback | None = None) -> dict[TinyModel, Path]:
    """Return the path of every tiny model (file or folder), building them first if missing."""
    if models_are_built(layout):
        return _paths(layout)
    layout.models_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(layout.models_lock)):
        if models_are_built(layout):
            return _paths(layout)
        if status:
            status(f"building the tiny models in {layout.built_models_dir}")
        env = clean_env(
            HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONHASHSEED="0", PYTHONPATH=str(BUILDER_PACKAGE.parent)
        )
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=layout.models_dir))
        try:
            run_logged(
                [layout.venv_python, "-m", BUILDER_PACKAGE.name, tmp / "out"],
                log_path=layout.models_log,
                what="building the tiny models",
                status=status,
                env=env,
            )
            shutil.rmtree(layout.built_models_dir, ignore_errors=True)  # an incomplete one (only by hand)
            (tmp / "out").rename(layout.built_models_dir)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return _paths(layout)
