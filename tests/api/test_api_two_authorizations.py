"""Basic auth (a ``user:password@`` in the URL) and a JWT cannot go together: both are the
``Authorization`` header and requests would send the basic one only. Such a request, and a login
that would need it, is refused with a typed error before anything is sent. A proxy in front of the
real server records what reaches it."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from _faultproxy import FaultProxy, Rules

from invokekit.cli import EXIT_FAILED, main
from invokekit.client import Client
from invokekit.errors import AuthenticationError

pytestmark = pytest.mark.server

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiYWRtaW4ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
PASSWORD = "s3cr3t"


def _with_password(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://ann:{PASSWORD}@{parts.netloc}"


def _authorization(rules: Rules) -> list[str]:
    return [h.get("Authorization", "") for h in rules.headers_seen]


def test_each_alone_is_sent_as_its_own_authorization_header(invokeai_sandbox) -> None:
    rules = Rules()
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        with Client(proxy.url, token=JWT) as bearer:
            bearer.queue.status()  # a single-user server takes (and ignores) the token
        with Client(_with_password(proxy.url)) as basic:
            basic.queue.status()
    [token_sent, basic_sent] = _authorization(rules)
    assert token_sent == f"Bearer {JWT}" and basic_sent.startswith("Basic ")


def test_a_token_with_basic_auth_is_refused_before_anything_is_sent(invokeai_sandbox) -> None:
    rules = Rules()
    with FaultProxy(invokeai_sandbox.url, rules) as proxy, Client(_with_password(proxy.url), token=JWT) as client:
        with pytest.raises(AuthenticationError, match="cannot both be sent") as info:
            client.queue.status()
        assert info.value.url == proxy.url
        with pytest.raises(AuthenticationError, match="cannot both be sent"):
            client.login("ann@example.com", "a password")  # its token could not be sent either
    assert rules.seen == []
    assert PASSWORD not in str(info.value) and JWT not in str(info.value)


def test_the_cli_says_so_for_the_environments_server(invokeai_sandbox, monkeypatch, capsys) -> None:
    rules = Rules()
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        monkeypatch.setenv("INVOKEAI_URL", _with_password(proxy.url))
        monkeypatch.setenv("INVOKEAI_TOKEN", JWT)
        assert main(["params", "Text to Image - SDXL"]) == EXIT_FAILED  # a library name: needs the server
    err = capsys.readouterr().err
    assert err.startswith(f"invokekit: error: {proxy.url}: a user:password@ in the URL"), err
    assert PASSWORD not in err and JWT not in err
    assert rules.seen == []
