"""The CLI takes a token from the environment only (``$INVOKEAI_TOKEN``, for ``$INVOKEAI_URL``'s
server): ``--token`` is answered with why and what to do instead, without echoing the value and
without sending anything. A proxy in front of the real server records what reaches it."""

from __future__ import annotations

import pytest
from _faultproxy import FaultProxy, Rules

from invokekit.cli import EXIT_USAGE, build_parser, main

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiYWRtaW4ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
SDXL = "Text to Image - SDXL"


def test_the_help_says_where_the_token_comes_from_and_why_not_from_an_option() -> None:
    epilog = build_parser().format_help()
    assert "INVOKEAI_TOKEN" in epilog and "There is no --token option" in epilog and "ps" in epilog


@pytest.mark.server
@pytest.mark.parametrize("given", [["--token", JWT], [f"--token={JWT}"]])
def test_a_token_option_is_refused_unechoed_and_nothing_is_sent(invokeai_sandbox, capsys, given) -> None:
    rules = Rules()
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        assert main(["params", SDXL, "--url", proxy.url, *given]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert err.startswith("invokekit: error: there is no --token option") and "INVOKEAI_TOKEN=" in err
    assert JWT not in out + err
    assert rules.seen == []


@pytest.mark.server
def test_the_environments_token_goes_to_the_environments_server(invokeai_sandbox, monkeypatch, capsys) -> None:
    rules = Rules()
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        monkeypatch.setenv("INVOKEAI_URL", proxy.url)
        monkeypatch.setenv("INVOKEAI_TOKEN", JWT)
        assert main(["params", SDXL]) == 0  # a single-user server takes (and ignores) the token
    out, err = capsys.readouterr()
    assert "positive_prompt" in out and JWT not in out + err
    sent = [h.get("Authorization") for h in rules.headers_seen]
    assert sent and set(sent) == {f"Bearer {JWT}"}
