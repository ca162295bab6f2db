"""InvokeAI's own graph model judges our conversion of all 26 shipped workflows (one subprocess, ~15 s).

In the sandbox's InvokeAI venv, ``Graph.model_validate(graph).validate_self()`` must accept the 8
complete workflows as converted; for the other 18, our pre-flight check must name every node the
Graph names. Every converted graph must also equal what InvokeAI's server-side Python builder
(``workflow_graph_builder``) makes of the same workflow.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

from wfbuild import COMPLETE, SDXL, SHIPPED, TINY_MODELS, context

from invokekit.sandbox import REQUIREMENTS, default_cache_dir
from invokekit.sandbox._layout import Layout
from invokekit.sandbox._venv import ensure_venv
from invokekit.workflow import Workflow

SCRIPT = Path(__file__).with_name("invokeai_check_graphs.py")


def _invokeai_python() -> Path:
    layout = Layout(default_cache_dir())
    if not layout.venv_python.exists():
        ensure_venv(layout, REQUIREMENTS)  # installs InvokeAI once, as the sandbox does
    return layout.venv_python


def test_invokeai_accepts_our_graphs_and_its_builder_agrees(tmp_path: Path) -> None:
    for path in SHIPPED:
        (tmp_path / f"{path.stem}.graph.json").write_text(json.dumps(Workflow.load(path).to_graph()))
        shutil.copy(path, tmp_path / f"{path.stem}.workflow.json")
        if path.name in COMPLETE:  # as converted with the server schema (unknown inputs dropped)
            graph = Workflow.load(path).to_graph(context())
            (tmp_path / f"schema-{path.stem}.graph.json").write_text(json.dumps(graph))
    custom = Workflow.load(SDXL).set(model="tiny-sdxl", vae="tiny-sdxl-vae", width=256, height=256, seed=3)
    (tmp_path / "custom-sdxl.graph.json").write_text(json.dumps(custom.to_graph(context(models=TINY_MODELS))))

    proc = subprocess.run([str(_invokeai_python()), str(SCRIPT), str(tmp_path)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)

    assert report["custom-sdxl"]["graph"] == "ok"
    for name in COMPLETE:
        assert report[f"schema-{Path(name).stem}"]["graph"] == "ok", name
    for path in SHIPPED:
        entry = report[path.stem]
        assert entry["twin"] == "same", f"{path.name}: {entry['twin']}"
        if path.name in COMPLETE:
            assert entry["graph"] == "ok", f"{path.name}: {entry['graph']}"
            continue
        assert entry["graph"] != "ok", path.name
        rejected = set(re.findall(r"^nodes\.([0-9a-f-]{36})", entry["graph"], flags=re.MULTILINE))
        assert rejected, entry["graph"]
        reported = {p.node_id for p in Workflow.load(path).preflight(context())}
        assert rejected <= reported, f"{path.name}: InvokeAI rejects {rejected}, pre-flight names {reported}"
