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
