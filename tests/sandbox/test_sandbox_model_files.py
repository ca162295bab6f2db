"""The tiny model files: built once per builder version, and the tiny SDXL never changes."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from invokekit.sandbox import Sandbox
from invokekit.sandbox._model_files import BUILDER_PACKAGE, models_are_built
from invokekit.sandbox._tiny import TINY_MODELS, builder_key

# sha256 over (relative path, bytes) of every file, as the first builder (invokekit 0.1.0) made them:
# graphs and workflows saved against the tiny SDXL keep naming the same model (InvokeAI's hash)
SDXL_DIGESTS = {
    "tiny-sdxl": "2d6d47ce90b3eb44765c43128a741b5925359d56094413fa57686b3a40517118",
    "tiny-sdxl-vae": "cc17e5b358c08bbd62f825bb4cda9c0e768b9e06b60f44808d79144fb52bd22a",
}
# the other models built on the UNet and VAE shapes both families share (``_tiny/_backbone``), as the
# builder made them before those shapes moved there (builder 3ed33bcf8040): sharing changed no byte
BACKBONE_DIGESTS = {
    "tiny-sdxl-controlnet": "1873a2f2501fcd7b9bdf81e290111e58c5e866b8e190eeea6ab4e60469d0c145",
    "tiny-sd15": "9fdf7ab6eb044c71c91aec2ceb80c12a781c721a8d892699a31852c8aff8b512",
    "tiny-sd15-controlnet": "8269ffb9fa34d14e0fdddfa525bf20a5c899c4b265da097cb22bf80b951ff56c",
}


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def test_the_tiny_sdxl_is_byte_identical_to_the_first_builders() -> None:
    sandbox = Sandbox(progress=None)
    sandbox.ensure_installed()
    assert models_are_built(sandbox.layout)
    assert {name: _digest(sandbox.layout.built_models_dir / name) for name in SDXL_DIGESTS} == SDXL_DIGESTS


def test_the_models_on_the_shared_unet_and_vae_shapes_are_byte_identical_to_before_the_sharing() -> None:
    sandbox = Sandbox(progress=None)
    sandbox.ensure_installed()
    built = sandbox.layout.built_models_dir
    assert {name: _digest(built / name) for name in BACKBONE_DIGESTS} == BACKBONE_DIGESTS


def test_every_model_is_built_into_the_folder_of_this_builder_version() -> None:
    layout = Sandbox(progress=None).layout
    assert layout.built_models_dir == layout.models_dir / f"build-{builder_key()}"
    assert {layout.model_path(m).parent for m in TINY_MODELS} == {layout.built_models_dir}
    assert layout.main_model == layout.model_path(TINY_MODELS[0])
    assert len({m.filename for m in TINY_MODELS}) == len({m.name for m in TINY_MODELS}) == len(TINY_MODELS)
    assert {m.filename for m in TINY_MODELS if m.is_file} == {
        "tiny-sd15-lora.safetensors", "tiny-sd15-ip-adapter.safetensors", "tiny-upscaler.safetensors"
    }


def test_a_changed_builder_has_another_key(tmp_path: Path) -> None:
    copy = tmp_path / "_tiny"
    shutil.copytree(BUILDER_PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert builder_key(copy) == builder_key()
    with open(copy / "_upscaler.py", "a", encoding="utf-8") as source:
        source.write("\nFILTERS = 16\n")
    assert builder_key(copy) != builder_key()
