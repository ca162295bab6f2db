"""The first Client of a process imports what a first job needs in the background
(:mod:`invokekit.client._warm`): nothing sent, once per process, off with ``warm_up=False``, and
safe beside the caller's own imports because the package's import graph has no cycle."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import invokekit
from invokekit.client._warm import FIRST_JOB_MODULES

PACKAGE = Path(invokekit.__file__).parent

# a closed port: the client must not need the server for any of this
PROBE = """
import json, sys, threading
from invokekit import Client
from invokekit.client import _warm
warm = {warm}
clients = [Client("http://127.0.0.1:9", timeout=1, warm_up=warm) for _ in range(3)]
started = [t for t in threading.enumerate() if t.name == "invokekit-warm-up"]
thread = _warm._thread
if thread is not None:
    thread.join(60)
{after}
print(json.dumps({{"threads": len(started), "modules": [m for m in _warm.FIRST_JOB_MODULES if m in sys.modules],
                  "sent": sum(c.transport.requests_sent for c in clients)}}))
"""


def _probe(warm: bool, after: str = "") -> dict[str, object]:
    code = PROBE.format(warm=warm, after=after)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_the_first_client_imports_the_first_jobs_modules_once_and_sends_nothing() -> None:
    warmed = _probe(True)
    assert warmed == {"threads": 1, "modules": list(FIRST_JOB_MODULES), "sent": 0}


def test_warm_up_false_imports_nothing_ahead() -> None:
    cold = _probe(False)
    assert cold == {"threads": 0, "modules": [], "sent": 0}


def test_the_callers_own_imports_meanwhile_work() -> None:
    # imported right away, while the thread is importing the same modules
    after = ("import invokekit.workflow, invokekit.explore, invokekit.media, invokekit.monitors, "
             "invokekit.results\nfrom invokekit.workflow import Workflow, Batch\nassert Workflow and Batch")
    for _ in range(3):
        assert _probe(True, after)["modules"] == list(FIRST_JOB_MODULES)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports_at_load(path: Path, name: str, known: set[str]) -> set[str]:
    """invokekit modules ``path`` imports when it is loaded (not in functions or TYPE_CHECKING)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            continue
        statements = [node] if isinstance(node, ast.Import | ast.ImportFrom) else (
            [n for n in ast.walk(node) if isinstance(n, ast.Import | ast.ImportFrom)]
            if isinstance(node, ast.If | ast.Try | ast.With) else [])
        for stmt in statements:
            if isinstance(stmt, ast.Import):
                found.update(a.name for a in stmt.names)
                continue
            base = stmt.module or ""
            if stmt.level:
                parts = package.split(".")[: len(package.split(".")) - (stmt.level - 1)]
                base = ".".join([*parts, *([stmt.module] if stmt.module else [])])
            found.add(base)
            found.update(f"{base}.{a.name}" for a in stmt.names if f"{base}.{a.name}" in known)
    loaded: set[str] = set()
    for module in found:
        parts = module.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c loads a and a.b first
            prefix = ".".join(parts[:i])
            if prefix in known and prefix != name and not name.startswith(prefix + "."):
                loaded.add(prefix)
    return loaded


def test_the_package_import_graph_has_no_cycle() -> None:
    """Two threads importing acyclic modules cannot deadlock on Python's import locks (the
    warm-up's promise); a cycle would also be a partially-initialized-module trap."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph = {name: _imports_at_load(path, name, set(paths)) for name, path in paths.items()}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep):], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)
    assert sum(len(deps) for deps in graph.values()) > 200, "the graph was read"
    assert cycles == [], [" -> ".join(c) for c in cycles]
