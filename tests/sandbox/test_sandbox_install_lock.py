"""Two processes asking for the sandbox's installation at once: one builds, the other waits and reuses;
and what it builds is byte-identical to the shared cache's build (the builder is deterministic)."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from invokekit.sandbox import Sandbox
from invokekit.sandbox._layout import Layout
from invokekit.sandbox._model_files import models_are_built

_ENSURE = (
    "import sys; from invokekit.sandbox import Sandbox; "
    "Sandbox(cache_dir=sys.argv[1], progress=None).ensure_installed()"
)


def _digests(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_concurrent_ensure_installed_builds_the_models_once_and_identically(tmp_path: Path) -> None:
    shared = Sandbox(progress=None)
    shared.ensure_installed()  # the InvokeAI venv both processes use (installed once per machine)
    layout = Layout(tmp_path)
    layout.install_dir.mkdir(parents=True)
    layout.venv.symlink_to(shared.layout.venv, target_is_directory=True)

    procs = [subprocess.Popen([sys.executable, "-c", _ENSURE, str(tmp_path)]) for _ in range(2)]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]

    assert models_are_built(layout)
    builds = [line for line in layout.models_log.read_text().splitlines() if line.startswith("$ ")]
    assert len(builds) == 1, builds
    assert not [p for p in layout.models_dir.iterdir() if p.name.startswith(".build-")]
    assert _digests(layout.built_models_dir) == _digests(shared.layout.built_models_dir)
