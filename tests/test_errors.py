from invokekit.errors import JobFailed, ParameterError, PreflightError, Problem, SandboxError, WorkflowError


def test_workflow_error_names_file_node_and_field() -> None:
    err = WorkflowError(
        "edge to a field the node does not have", file="wf.json", node_id="n1", node_label="Noise", field="widht"
    )
    assert str(err) == "file 'wf.json', node 'n1' ('Noise'), field 'widht': edge to a field the node does not have"
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
    assert "2 problem(s)" in text and "node 'a' ('A'), field 'model'" in text and "node 'b': unknown type" in text


def test_job_failed_and_sandbox_error_carry_context() -> None:
    err = JobFailed(item_id=7, error_type="RuntimeError", error_message="boom", error_traceback="tb")
    assert err.item_id == 7 and "RuntimeError: boom" in str(err)
    s = SandboxError("server exited", log_path="/x/log", log_tail="line")
    assert "full log: /x/log" in str(s) and s.log_tail == "line"


def test_parameter_error_suggests_the_closest_name_first() -> None:
    err = ParameterError("unknown parameter 'stps'", candidates=["seed", "steps", "width"], name="stps")
    assert "did you mean 'steps'?" in str(err)
