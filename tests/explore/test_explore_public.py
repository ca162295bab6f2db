"""The public surface of invokekit.explore: small, resolvable, cheap to import."""

from __future__ import annotations

import inspect
import subprocess
import sys

import invokekit.explore as explore


def test_every_public_name_resolves_and_is_documented() -> None:
    for name in explore.__all__:
        value = getattr(explore, name)
        assert value is not None, name
        if inspect.isfunction(value) or inspect.isclass(value):
            assert value.__doc__, f"{name} has no docstring"


def test_importing_explore_needs_no_http() -> None:
    code = "import sys, invokekit.explore; print(sorted(m for m in ('requests', 'socketio') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_package_docstring_examples_hold() -> None:
    import doctest

    assert doctest.testmod(explore).failed == 0
