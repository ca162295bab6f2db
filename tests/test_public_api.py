"""The public surface: every name in ``invokekit.__all__`` resolves, and nothing private leaks."""

import subprocess
import sys

import invokekit


def test_every_public_name_resolves() -> None:
    for name in invokekit.__all__:
        assert getattr(invokekit, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        invokekit.no_such_thing  # noqa: B018
    except AttributeError as exc:
        assert "no_such_thing" in str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected AttributeError")


def test_import_is_cheap() -> None:
    # importing the package must not pull in HTTP, socket.io or widgets until they are used
    code = "import sys, invokekit; print(sorted(m for m in ('requests','socketio','ipywidgets') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_lazy_names_are_typed_for_editors() -> None:
    # type checkers and Jedi cannot see through ``__getattr__``: each lazy name is also imported
    # under TYPE_CHECKING, from the module that ``_LAZY`` names
    import ast
    from pathlib import Path

    tree = ast.parse(Path(invokekit.__file__).read_text())
    [block] = [n for n in tree.body if isinstance(n, ast.If) and getattr(n.test, "id", "") == "TYPE_CHECKING"]
    typed = {alias.name: node.module for node in block.body if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert typed == invokekit._LAZY


def test_completion_knows_what_the_entry_points_return() -> None:
    # what Jupyter's completer (Jedi) offers after the main entry points: their real types, not Any
    import jedi

    def complete(tail: str) -> set[str]:
        code = f"from invokekit import Client, Workflow\nc = Client()\n{tail}"
        line = code.splitlines()[-1]
        return {c.name for c in jedi.Script(code).complete(code.count("\n") + 1, len(line))}

    assert {"set", "parameters", "to_batch"} <= complete("c.workflow('x').")
    assert {"set", "parameters"} <= complete("Workflow.from_library(c, 'x').")
    assert {"templates", "boards"} <= complete("c.context().")
    assert {"image_name", "path"} <= complete("c.job('b').images[0].")
    assert {"status", "images", "error_message"} <= complete("c.job('b').wait()[0].")
    assert {"item_id", "status", "terminal"} <= complete("c.job('b').last_updates[1].")
