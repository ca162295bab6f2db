import pytest

from invokekit.errors import (
    GraphError,
    GraphRejected,
    JobFailed,
    ParameterError,
    PreflightError,
    Problem,
    SandboxError,
    ServerError,
    WorkflowError,
)


def test_workflow_error_names_file_node_and_field() -> None:
    err = WorkflowError(
        "edge to a field the node does not have", file="wf.json", node_id="n1", node_label="Noise", field="widht"
    )
    # a node is named by its label (what the editor shows), its id second
    assert str(err) == "file 'wf.json', node 'Noise' (id 'n1'), field 'widht': edge to a field the node does not have"
    assert isinstance(err, ValueError)


def test_parameter_error_lists_candidates() -> None:
    err = ParameterError("unknown parameter 'stps'", candidates=["steps", "seed"])
    assert "candidates: steps, seed" in str(err)
    assert err.candidates == ["steps", "seed"]


def test_preflight_error_lists_every_problem() -> None:
    err = PreflightError(
        [Problem("a", "A", "model", "required input missing"), Problem("b", None, None, "unknown type")]
    )
    text = str(err)
    assert "2 problem(s)" in text and "node 'A' (id 'a'), field 'model'" in text and "node 'b': unknown type" in text


def test_job_failed_and_sandbox_error_carry_context() -> None:
    err = JobFailed(item_id=7, error_type="RuntimeError", error_message="boom", error_traceback="tb")
    assert err.item_id == 7 and "RuntimeError: boom" in str(err)
    s = SandboxError("server exited", log_path="/x/log", log_tail="line")
    assert "full log: /x/log" in str(s) and s.log_tail == "line"


def test_parameter_error_suggests_the_closest_name_first() -> None:
    err = ParameterError("unknown parameter 'stps'", candidates=["seed", "steps", "width"], name="stps")
    assert "did you mean 'steps'?" in str(err)


def test_a_long_candidate_list_shows_the_closest_eight() -> None:
    names = [f"field_{i:02d}" for i in range(40)] + ["steps", "stops", "strength"]
    err = ParameterError("unknown parameter 'stepz'", candidates=names, name="stepz")
    shown = str(err).split("closest candidates: ", 1)[1]
    assert shown.startswith("steps, stops, ") and shown.endswith("(+35 more in .candidates)")
    assert shown.count(", ") == 7 and err.candidates == names  # all of them stay on the error
    short = ParameterError("no board 'x'", candidates=[f"b{i}" for i in range(12)])
    assert str(short).endswith("candidates: b0, b1, b2, b3, b4, b5, b6, b7 (+4 more in .candidates)")


def test_preflight_error_and_graph_rejected_share_one_base() -> None:
    problem = Problem("n1", "Noise", "width", "not a multiple of 8")
    before = PreflightError([problem])
    after = GraphRejected("POST /enqueue_batch: HTTP 422", problems=[problem], status=422)
    for err in (before, after):
        assert isinstance(err, GraphError) and err.problems == [problem]
        assert "node 'Noise' (id 'n1'), field 'width': not a multiple of 8" in str(err)
        with pytest.raises(GraphError):
            raise err
    assert isinstance(before, WorkflowError) and isinstance(before, ValueError)  # caught as before
    assert isinstance(after, ServerError) and after.status == 422


def test_a_library_workflow_is_named_by_its_name() -> None:
    err = WorkflowError("no such node in this workflow", file="library:Text to Image - SDXL", node_id="x")
    assert str(err) == "library workflow 'Text to Image - SDXL', node 'x': no such node in this workflow"
