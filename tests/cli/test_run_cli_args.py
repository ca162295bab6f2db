"""Argument handling of `invokekit run` that needs no server."""

from __future__ import annotations

import pytest

from invokekit.cli import main
from invokekit.cli import split_assignment as _split
from invokekit.errors import ParameterError
from invokekit.explore import parse_sweep


def test_sweep_values_split_on_commas_or_come_as_a_json_list() -> None:
    # `run --sweep NAME=TEXT` hands TEXT to the one sweep parser (typed by the field's schema)
    assert parse_sweep("seed", "1,2,3", kind="integer") == [1, 2, 3]
    assert parse_sweep("prompt", '["a, b", "c"]', kind="text") == ["a, b", "c"]
    assert parse_sweep("cfg", "[1.5, 2]", kind="number") == [1.5, 2]
    with pytest.raises(ParameterError):
        parse_sweep("prompt", "[not json")


def test_a_bad_sweep_is_refused_before_anything_is_sent(tmp_path, capsys) -> None:
    graph = tmp_path / "g.json"
    graph.write_text('{"nodes": {"n": {"id": "n", "type": "integer"}}, "edges": []}')
    argv = ["run", str(graph), "--url", "http://127.0.0.1:9", "--zip", "n.value=1,2", "--zip", "n.value=3"]
    assert main(argv) == 2
    assert "swept twice" in capsys.readouterr().err


def test_set_needs_name_equals_value() -> None:
    assert _split("positive_prompt=a=b", "--set") == ("positive_prompt", "a=b")
    with pytest.raises(ParameterError):
        _split("no-equals-sign", "--set")


def test_bad_set_is_a_clean_error(tmp_path, capsys) -> None:
    graph = tmp_path / "g.json"
    graph.write_text('{"nodes": {"n": {"id": "n", "type": "integer"}}, "edges": []}')
    assert main(["run", str(graph), "--url", "http://127.0.0.1:9", "--set", "oops"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_a_run_failure_exits_1_and_bad_input_2(tmp_path, capsys) -> None:
    graph = tmp_path / "g.json"
    graph.write_text('{"nodes": {"n": {"id": "n", "type": "integer"}}, "edges": []}')
    assert main(["run", str(graph), "--url", "http://127.0.0.1:1", "--out", str(tmp_path / "o")]) == 1
    err = capsys.readouterr().err
    assert "Is InvokeAI running at http://127.0.0.1:1? Set --url or INVOKEAI_URL." in err
    assert "Traceback" not in err
    broken = tmp_path / "broken.json"
    broken.write_text('{"nodes": ')
    assert main(["run", str(broken), "--url", "http://127.0.0.1:1"]) == 2  # refused before anything is sent
    assert "broken.json" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:  # argparse's own usage errors
        main(["run", "wf.json", "--runs", "many"])
    assert info.value.code == 2


def test_the_exit_statuses_are_in_the_help(capsys) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "exit status:" in out and "usage or bad input" in out and "the run failed" in out
