"""environment.yml must stay a faithful conda mirror of pyproject.toml's dependencies.

conda users install from environment.yml, pip users from pyproject.toml; if the two drift, one
group of users silently gets a different (or broken) environment. These tests parse the file,
check that pip can resolve its requirements, and compare it with pyproject.toml line by line.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
ENV_FILE = ROOT / "environment.yml"
PYPROJECT = ROOT / "pyproject.toml"


def _canonical(requirement: str) -> str:
    """The PEP 503 name of a requirement string, without extras, version or markers."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    assert match, f"cannot read a package name from {requirement!r}"
    return re.sub(r"[-_.]+", "-", match.group(1)).lower()


def _normalized(requirement: str) -> str:
    """The requirement with a canonical name and no whitespace, to compare specs exactly."""
    name_end = re.match(r"\s*[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
    assert name_end
    return _canonical(requirement) + requirement[name_end.end() :].replace(" ", "")


def _environment() -> dict[str, Any]:
    data = yaml.safe_load(ENV_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict), "environment.yml must be a mapping"
    return data


def _pip_requirements(env: dict[str, Any]) -> list[str]:
    """The pip: section of environment.yml, without the editable install of the project itself."""
    pip_sections = [d["pip"] for d in env.get("dependencies", []) if isinstance(d, dict) and "pip" in d]
    assert len(pip_sections) == 1, "environment.yml needs exactly one pip: section"
    return [r for r in pip_sections[0] if not str(r).strip().startswith(("-e", "--editable"))]


def _pyproject_requirements() -> list[str]:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        requirements.extend(extra)
    return requirements


def test_environment_yml_parses() -> None:
    env = _environment()
    assert env.get("name")
    conda_deps = [d for d in env["dependencies"] if isinstance(d, str)]
    assert "pip" in conda_deps, "pip must be a conda dependency for the pip: section to install"
    python = [d for d in conda_deps if d.startswith("python")]
    assert python, "environment.yml must pin python"
    required = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["requires-python"]
    assert python[0].replace("python", "", 1).strip() == required.strip()
    assert any(str(r).strip() in ("-e .", "--editable .") for d in env["dependencies"] if isinstance(d, dict)
               for r in d.get("pip", [])), "environment.yml should install the project itself (-e .)"


def test_environment_yml_names_the_same_packages_as_pyproject() -> None:
    env_reqs = sorted(_normalized(r) for r in _pip_requirements(_environment()))
    project_reqs = sorted(_normalized(r) for r in _pyproject_requirements())
    assert sorted(set(map(_canonical, env_reqs))) == sorted(set(map(_canonical, project_reqs)))
    # same names is the contract; same version floors too, so neither file lags behind
    assert env_reqs == project_reqs


def test_environment_yml_pip_requirements_resolve(tmp_path: Path) -> None:
    """pip resolves the whole set together (all dependencies, not --no-deps) without installing.

    Run with this interpreter's pip, so on the project venv the already-installed packages
    satisfy the resolver and no download is needed.
    """
    requirements = _pip_requirements(_environment())
    req_file = tmp_path / "requirements.txt"
    req_file.write_text("\n".join(requirements) + "\n", encoding="utf-8")
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--disable-pip-version-check",
         "--report", str(report), "-r", str(req_file)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, f"pip cannot resolve environment.yml's requirements:\n{proc.stderr}"
    resolved = json.loads(report.read_text(encoding="utf-8"))
    assert resolved["version"] == "1"
