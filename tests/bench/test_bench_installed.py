"""``pip install .`` (not editable) into a fresh venv, then ``invokekit bench --quick`` from a
folder outside the source tree: the notebooks come with the package, the kernel imports the
installed package, and the results land in the working directory.

The fresh venv gets the test interpreter's site-packages as a ``.pth`` line so that the heavy
dependencies (papermill, ipykernel, matplotlib...) need no download; invokekit itself is built
from a copy of the checkout (so the build leaves nothing in it) and installed with ``--no-deps``
and ``--ignore-installed`` (so pip never touches the interpreter's own invokekit).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

from invokekit.bench import NOTEBOOKS

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]


def _copy_checkout(dest: Path) -> None:
    """The files of the checkout (tracked, and new ones not ignored), as a clean clone has them."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("needs a git checkout of invokekit")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():  # listed but deleted in the work tree: not part of it
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)


def _fresh_venv(where: Path) -> tuple[Path, Path]:
    """A venv without pip whose only extra packages are this interpreter's (through a .pth)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "_invokekit_test_deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    return python, purelib


def test_bench_quick_runs_from_an_installed_package(invokeai_sandbox: Any, tmp_path: Path) -> None:
    source = tmp_path / "src"
    _copy_checkout(source)
    python, purelib = _fresh_venv(tmp_path / "venv")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
         "--ignore-installed", str(source)],
        check=True, timeout=300,
    )
    installed = purelib / "invokekit"
    assert sorted(p.stem for p in (installed / "bench" / "notebooks").glob("*.ipynb")) == sorted(NOTEBOOKS)

    elsewhere = tmp_path / "elsewhere"  # not the checkout, not the venv
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_PATH")}
    done = subprocess.run(
        [str(tmp_path / "venv" / "bin" / "invokekit"), "bench", "--quick", "--only", "stage_timings",
         "--url", invokeai_sandbox.url, "--db", str(invokeai_sandbox.db_path)],
        cwd=elsewhere, env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr

    out = elsewhere / "bench-results"  # the default output folder, in the working directory
    summary = json.loads((out / "summary.json").read_text())
    assert summary["errors"] == {} and set(summary["results"]) == {"stage_timings"}
    assert summary["results"]["stage_timings"]["invokekit_package"] == str(installed.resolve())
    assert (out / "stage_timings.ipynb").is_file() and (out / "summary.md").is_file()
    assert not (installed / "bench" / "notebooks" / "results").exists()
    kernel = json.loads((tmp_path / "venv" / "share" / "jupyter" / "kernels" / "invokekit" / "kernel.json").read_text())
    assert kernel["argv"][0] == str(python)  # the venv's own kernel, not the one of the interpreter it came from
