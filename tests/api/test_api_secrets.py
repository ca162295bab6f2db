"""Credentials are never shown: a password in the URL becomes basic auth and appears in no
``repr``, message or journal; tokens and passwords are masked in any text a library logs."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from _faultproxy import FaultProxy, Rules

from invokekit.api import Transport, redact
from invokekit.api._secrets import RedactingFilter, split_credentials, with_credentials
from invokekit.client import Client
from invokekit.errors import ServerError, ServerUnavailable

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiYWRtaW4ifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def test_redact_masks_tokens_passwords_and_auth_headers() -> None:
    texts = [
        f'Sending packet MESSAGE data 0{{"token":"{JWT}"}}',
        f"Authorization: Bearer {JWT}",
        "Authorization: Basic YW5uOnMzY3IzdA==",
        "GET http://ann:s3cr3t@127.0.0.1:9090/api/v1/queue failed",
        '{"email": "a@b.c", "password": "s3cr3t"}',
        "ws://host/ws/socket.io/?token=s3cr3t&EIO=4",
    ]
    for text in texts:
        cleaned = redact(text)
        assert JWT not in cleaned and "s3cr3t" not in cleaned and "YW5uOnMzY3IzdA" not in cleaned, cleaned
    assert redact("GET http://127.0.0.1:9090/api/v1/app/version") == "GET http://127.0.0.1:9090/api/v1/app/version"
    assert redact("http://ann:s3cr3t@host/x") == "http://ann:***@host/x"


def test_the_filter_cleans_a_record_before_any_handler_sees_it() -> None:
    args = ("M", {"token": JWT})
    record = logging.LogRecord("engineio.client", logging.INFO, __file__, 1, "Sending packet %s data %s", args, None)
    assert RedactingFilter().filter(record)
    assert JWT not in record.getMessage() and "Sending packet M data" in record.getMessage()


def test_credentials_move_out_of_the_url() -> None:
    assert split_credentials("http://ann:s%40cret@127.0.0.1:9090/x") == ("http://127.0.0.1:9090/x", ("ann", "s@cret"))
    assert split_credentials("http://127.0.0.1:9090") == ("http://127.0.0.1:9090", None)
    # a journal's URL gets the password of $INVOKEAI_URL back, for that very server only
    assert with_credentials("http://h:1", "http://ann:pw@h:1") == "http://ann:pw@h:1"
    assert with_credentials("http://h:1", "http://ann:pw@h:2") == "http://h:1"
    assert with_credentials("http://bob:x@h:1", "http://ann:pw@h:1") == "http://bob:x@h:1"


def test_a_password_in_the_url_is_in_no_repr_and_no_error(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nobody listens there once closed
    client = Client(f"http://ann:s3cr3t@127.0.0.1:{port}", timeout=2)
    assert client.url == f"http://127.0.0.1:{port}"
    assert "s3cr3t" not in repr(client) + repr(client.transport) + repr(client.queue)
    with pytest.raises(ServerUnavailable) as caught:
        client.queue.status()
    assert "s3cr3t" not in str(caught.value) and "ann" not in str(caught.value)


@pytest.mark.server
def test_the_password_is_sent_as_basic_auth_and_never_shown(invokeai_sandbox, tmp_path: Path) -> None:
    rules = Rules()
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        url = proxy.url.replace("http://", "http://ann:s3cr3t@")
        with Client(url) as client:
            assert client.queue.status()["queue"]["queue_id"] == "default"
            assert {h.get("Authorization") for h in rules.headers_seen} == {"Basic YW5uOnMzY3IzdA=="}
            with pytest.raises(ServerError) as caught:
                client.queue.item(999_999_999)  # 404: the message holds the URL
            assert proxy.url in str(caught.value) and "s3cr3t" not in str(caught.value)
            graph = {"nodes": {"n": {"id": "n", "type": "integer", "value": 3, "use_cache": False}}, "edges": []}
            job = client.submit(graph, journal=tmp_path / "j.jsonl")
            job.wait(monitor="api", timeout=120)
            assert "s3cr3t" not in (tmp_path / "j.jsonl").read_text() and "s3cr3t" not in repr(job)


def test_a_socket_client_gets_the_basic_auth_header_too() -> None:
    transport = Transport("http://ann:s3cr3t@127.0.0.1:9")
    assert transport.base_url == "http://127.0.0.1:9"
    assert transport.connection_headers() == {"Authorization": "Basic YW5uOnMzY3IzdA=="}
    assert Transport("http://127.0.0.1:9").connection_headers() == {}
