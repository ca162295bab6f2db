"""`invokekit load-report`: prints what loading migrated, dropped, updated and reset (offline and with a schema)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "workflow"))
from wfbuild import REFERENCE, edge, sdxl_v1_text_to_image

from invokekit.cli import main

SCHEMA = str(REFERENCE / "openapi.json")


def _file(tmp_path: Path) -> Path:
    raw = sdxl_v1_text_to_image()
    model, l2i = raw["nodes"][0]["id"], raw["nodes"][5]["id"]
    raw["edges"].append(edge(model, "vae", l2i, "vea"))  # a typo: the template has no input "vea"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    return path


def test_offline_the_report_shows_the_migration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load-report", str(_file(tmp_path))]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tiny 1.0.0: schema 1.0.0 -> 4.0.0, not checked against a server")
    assert "  migrated: schema 1.0.0 -> 2.0.0" in out and "dropped" not in out


def test_with_a_schema_it_shows_dropped_edges_and_updated_nodes(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load-report", str(_file(tmp_path)), "--schema", SCHEMA]) == 0
    out = capsys.readouterr().out
    assert "checked against the server's node templates" in out
    dropped = [line for line in out.splitlines() if line.startswith("  dropped:")]
    assert len(dropped) == 1 and "('SDXL Model' -> 'l2i')" in dropped[0] and ".vea does not exist" in dropped[0]
    assert "  updated: node '00000000-0000-4000-8000-000000000005' ('l2i'): node updated from version 1.0.0" in out


def test_json_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["load-report", str(_file(tmp_path)), "--schema", SCHEMA, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["source_version"] == "1.0.0" and report["version"] == "4.0.0" and report["checked"] is True
    assert {n["kind"] for n in report["notes"]} == {"migrated", "dropped", "updated"}


def test_a_file_without_a_schema_version_is_the_uis_refusal(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nov.json"
    path.write_text(json.dumps({"nodes": [], "edges": [], "meta": {}}), encoding="utf-8")
    assert main(["load-report", str(path)]) == 2
    assert "Unable to get workflow schema version" in capsys.readouterr().err
