"""The documentation notebooks in ``notebooks/`` run top to bottom and still produce their stored outputs.

Each notebook is checked by nbval (``pytest --nbval``) in a child pytest, so the project's plain
``pytest`` (``testpaths = ["tests"]``) runs them without the whole suite having to be collected
with ``--nbval``. ``INVOKEAI_URL`` is removed from the child's environment: the notebooks'
``Client.from_env()`` then takes the path a reader takes on a fresh machine, the local sandbox,
and reuses the one this session's ``invokeai_sandbox`` fixture keeps running.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
SANITIZE = NOTEBOOK_DIR / "nbval_sanitize.cfg"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))


def test_there_are_documentation_notebooks() -> None:
    names = {nb.name for nb in NOTEBOOKS}
    assert {
        "01_quickstart.ipynb",
        "02_interactive_generation.ipynb",
        "03_monitors.ipynb",
        "04_sweep_grid.ipynb",
        "05_image_inputs.ipynb",
        "06_prompts_presets.ipynb",
    } <= names


@pytest.mark.server
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_matches_its_stored_outputs(notebook: Path, invokeai_sandbox: object, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("INVOKEAI_URL", "PYTEST_ADDOPTS")}
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # no debugger warning on the kernel's stderr
    cmd = [
        sys.executable, "-m", "pytest", "--nbval", "--nbval-current-env",
        f"--nbval-sanitize-with={SANITIZE}", "--nbval-cell-timeout=300",
        "-p", "no:cacheprovider", "-q", "--no-header", "-o", "addopts=", "-o", "timeout=500",
        str(notebook),
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=540)  # < 600 s
    report = (proc.stdout + proc.stderr)[-12000:]
    assert proc.returncode == 0, f"nbval failed for {notebook.name}:\n{report}"
