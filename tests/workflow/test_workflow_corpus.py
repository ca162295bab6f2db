"""Published workflows (InvokeAI 3.x-5.x defaults and docs, node packs' examples) load as the UI loads them.

The corpus (sources and licenses in its README) lives beside the shipped defaults, in
``shared/fixtures/workflows/corpus/`` (or ``INVOKEKIT_WORKFLOW_CORPUS``). Every file must load
offline and against the reference schema; converting refuses only what InvokeAI's UI cannot invoke
either, naming the node and the cause; and every converted graph is judged by InvokeAI's own
``Graph`` in its venv: accepted, or rejected only at nodes the pre-flight check names.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from pathlib import Path

import pytest
from test_workflow_invokeai_validation import SCRIPT, _invokeai_python
from wfbuild import CORPUS, CORPUS_DIR, TINY_MODELS, context

from invokekit.errors import ParameterError, WorkflowError
from invokekit.workflow import Workflow

pytestmark = pytest.mark.skipif(not CORPUS, reason=f"no published-workflow corpus in {CORPUS_DIR}")

#: the files InvokeAI 6.14.2's UI loads but cannot invoke ("Node update failed" + "Missing field
#: template"), with the node type it names
BLOCKED = {
    "invokeai-v3.4.0-docs-FaceMask.json": "color_correct",
    "invokeai-v3.4.0-docs-FaceOff_FaceScale2x.json": "color_correct",
    "invokeai-v4.2.9-default-Flux_Text_to_Image.json": "flux_denoise",
}


def _converted(path: Path) -> tuple[Workflow, dict | None, WorkflowError | None]:
    """Loaded against the reference schema, with the tiny model that fits its main model loader set."""
    for model in ("tiny-sdxl", "tiny-sd1", None):
        wf = Workflow.load(path, context=context(models=TINY_MODELS))
        try:
            if model is not None and "model" in wf.aliases:
                wf.set(model=model)
            return wf, wf.to_graph(), None
        except ParameterError:
            continue
        except WorkflowError as exc:
            return wf, None, exc
    raise AssertionError(f"{path.name}: not even the unset model converts")


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_every_published_workflow_loads_offline_and_against_the_server(path: Path) -> None:
    offline = Workflow.load(path)
    assert offline.version in ("3.0.0", "4.0.0") and offline.to_graph()["nodes"]
    wf, graph, refused = _converted(path)
    assert wf.load_report.checked
    if refused is None:
        assert graph is not None and path.name not in BLOCKED
        return
    # the only refusal: a node InvokeAI's UI cannot update to the server's version, named by label
    assert BLOCKED.get(path.name) is not None, f"{path.name} refused: {refused}"
    assert refused.node_id and refused.node_label and refused.reason.startswith("Node update failed")
    assert f"of type {BLOCKED[path.name]}" in refused.reason and "Missing field template" in refused.reason


def test_the_corpus_is_the_one_listed_in_corpus_md_byte_for_byte() -> None:
    rows = re.findall(r"^\| `([^`]+\.json)` \|.*\| `([0-9a-f]{12})` \| [^|]+ \|$",
                      Path(__file__).with_name("CORPUS.md").read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted(name for name, _ in rows) == [p.name for p in CORPUS]
    for name, blob in rows:  # the git blob id of the source file
        data = (CORPUS_DIR / name).read_bytes()
        assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()[:12] == blob, name


def test_schema_versions_of_the_corpus() -> None:
    versions = {json.loads(p.read_text(encoding="utf-8"))["meta"]["version"] for p in CORPUS}
    assert {"1.0.0", "2.0.0", "3.0.0"} <= versions


def test_invokeai_judges_every_converted_corpus_graph(tmp_path: Path) -> None:
    problems: dict[str, set[str]] = {}
    for path in CORPUS:
        wf, graph, _ = _converted(path)
        if graph is None:
            continue
        (tmp_path / f"{path.stem}.graph.json").write_text(json.dumps(graph))
        problems[path.stem] = {p.node_id for p in wf.preflight()}
    proc = subprocess.run([str(_invokeai_python()), str(SCRIPT), str(tmp_path)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert set(report) == set(problems)
    accepted = {name for name, entry in report.items() if entry["graph"] == "ok"}
    for name, entry in report.items():
        if not problems[name]:  # nothing for pre-flight to complain about: InvokeAI must accept it
            assert entry["graph"] == "ok", f"{name}: {entry['graph']}"
        elif entry["graph"] != "ok":
            rejected = set(re.findall(r"^nodes\.([0-9a-f-]{36})", entry["graph"], flags=re.MULTILINE))
            assert rejected, entry["graph"]
            assert rejected <= problems[name], f"{name}: InvokeAI rejects {rejected}, pre-flight names {problems[name]}"
    # the InvokeAI 3.x SDXL defaults migrate into graphs InvokeAI accepts as they are
    assert {"invokeai-v3.2.0-docs-SDXL_Text_to_Image", "invokeai-v3.6.2-default-SDXL_Text_to_Image"} <= accepted
