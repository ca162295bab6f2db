"""Where the sandbox keeps things: one cache folder, outside the repository, shared by all sandboxes.

Layout under the cache (``$INVOKEKIT_CACHE``, else ``~/.cache/invokekit``)::

    invokeai-6.14.2/venv/            the isolated InvokeAI install (+ install.log, a lock file)
    models/build-<key>/tiny-sdxl/    the tiny random-weight models (see ``_tiny.TINY_MODELS``), one
    models/build-<key>/...           folder per version of their builder (``<key>``: its digest)
    models/build.log                 the builders' output
    sandboxes/<name>/root/           one InvokeAI root per named sandbox (invokeai.yaml, databases/)
    sandboxes/<name>/state.json      url, pid, root, db_path, models of the running server
    sandboxes/<name>/server.log      the server's stdout and stderr
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from invokekit.sandbox._tiny import TINY_MODELS, TinyModel, builder_key

INVOKEAI_VERSION = "6.14.2"
REQUIREMENTS: tuple[str, ...] = (
    f"invokeai=={INVOKEAI_VERSION}",
    "torch==2.14.1",
    "torchvision==0.29.1",
    "websocket-client",
)
#: role -> server name of every tiny model ("main" and "vae" are the SDXL pair)
MODEL_NAMES: dict[str, str] = {m.role: m.name for m in TINY_MODELS}
MAIN_MODEL = MODEL_NAMES["main"]
VAE_MODEL = MODEL_NAMES["vae"]


def default_cache_dir() -> Path:
    """``$INVOKEKIT_CACHE`` when set, else ``~/.cache/invokekit``."""
    env = os.environ.get("INVOKEKIT_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "invokekit"


@dataclass(frozen=True)
class Layout:
    """All the paths of one cache folder; pure path arithmetic, creates nothing."""

    cache: Path

    @property
    def install_dir(self) -> Path:
        return self.cache / f"invokeai-{INVOKEAI_VERSION}"

    @property
    def venv(self) -> Path:
        return self.install_dir / "venv"

    @property
    def venv_bin(self) -> Path:
        return self.venv / ("Scripts" if sys.platform == "win32" else "bin")

    @property
    def venv_python(self) -> Path:
        return self.venv_bin / "python"

    @property
    def invokeai_web(self) -> Path:
        return self.venv_bin / "invokeai-web"

    @property
    def install_marker(self) -> Path:
        return self.venv / ".invokekit-installed.json"

    @property
    def install_log(self) -> Path:
        return self.install_dir / "install.log"

    @property
    def install_lock(self) -> Path:
        return self.cache / f"invokeai-{INVOKEAI_VERSION}.lock"

    @property
    def models_dir(self) -> Path:
        return self.cache / "models"

    @property
    def built_models_dir(self) -> Path:
        """The models of the current builder; a changed builder builds into a new folder."""
        return self.models_dir / f"build-{builder_key()}"

    def model_path(self, model: TinyModel) -> Path:
        return self.built_models_dir / model.filename

    @property
    def main_model(self) -> Path:
        return self.built_models_dir / MAIN_MODEL

    @property
    def vae_model(self) -> Path:
        return self.built_models_dir / VAE_MODEL

    @property
    def models_lock(self) -> Path:
        return self.cache / "models.lock"

    @property
    def models_log(self) -> Path:
        return self.models_dir / "build.log"

    @property
    def sandboxes_dir(self) -> Path:
        return self.cache / "sandboxes"

    def sandbox_dir(self, name: str) -> Path:
        return self.sandboxes_dir / name

    def root(self, name: str) -> Path:
        return self.sandbox_dir(name) / "root"

    def state_file(self, name: str) -> Path:
        return self.sandbox_dir(name) / "state.json"

    def server_log(self, name: str) -> Path:
        return self.sandbox_dir(name) / "server.log"

    def sandbox_lock(self, name: str) -> Path:
        return self.sandboxes_dir / f"{name}.lock"
