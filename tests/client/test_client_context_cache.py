"""The server's schema cached on disk per kind of server: a new client pays no schema fetch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from invokekit.api import App
from invokekit.client import Client
from invokekit.client._context_cache import reduced
from invokekit.workflow import ServerContext, Workflow

SHARED = Path(__file__).resolve().parents[3] / "shared"
SCHEMA = SHARED / "reference" / "invokeai-6.14.2" / "openapi.json"
WORKFLOWS = sorted((SHARED / "fixtures" / "workflows" / "default").glob("*.json"))


def _converted(path: Path, schema: dict) -> str:
    context = ServerContext(schema=schema)
    try:
        batch = Workflow.load(path, context=context).to_batch(context=context)
    except Exception as exc:  # the same refusal with either schema is the same outcome
        return f"{type(exc).__name__}: {exc}"
    batch.pop("batch_id", None)
    batch["graph"].pop("id", None)  # a fresh random id each time
    return json.dumps(batch, sort_keys=True, default=str)


def test_the_kept_part_of_the_schema_converts_every_shipped_workflow_alike() -> None:
    full = json.loads(SCHEMA.read_text())
    small = reduced(full)
    assert len(json.dumps(small)) < 0.75 * len(json.dumps(full)) and small["paths"] == full["paths"]
    assert len(WORKFLOWS) == 26
    for path in WORKFLOWS:
        assert _converted(path, small) == _converted(path, full), path.name


@pytest.mark.server
def test_a_new_client_reads_the_schema_from_the_cache(invokeai_sandbox, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("INVOKEKIT_CACHE", str(tmp_path))
    with Client(invokeai_sandbox.url) as first:
        schema = first.context().schema
    [cached] = (tmp_path / "server-context").glob("*.json")
    assert cached.name.startswith("6.14.2-")

    def no_fetch(self: App) -> dict:
        raise AssertionError("the schema was fetched although it is cached")

    with monkeypatch.context() as m:
        m.setattr(App, "openapi_schema", no_fetch)
        with Client(invokeai_sandbox.url) as second:
            assert second.context().schema == schema
            assert second.context().template("l2i") is not None
    with Client(invokeai_sandbox.url) as third:  # refresh fetches it again and rewrites the file
        before = cached.stat().st_mtime_ns
        third.context(refresh=True)
        assert cached.stat().st_mtime_ns >= before and third.context().schema == schema
