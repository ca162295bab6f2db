"""``Client.from_env()``: an explicit URL, else ``$INVOKEAI_URL`` (with its token and database), else
the sandbox; and the CLI commands that connect through it, against the real sandbox.

Where a test must show that no sandbox was started, ``INVOKEKIT_CACHE`` points at an empty folder:
starting one would have to create it (and install InvokeAI there).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from invokekit.cli import main
from invokekit.client import Client, server_url

SDXL = "Text to Image - SDXL"
WORKFLOWS = Path(__file__).resolve().parents[2] / ".." / "shared" / "fixtures" / "workflows" / "default"
SDXL_FILE = WORKFLOWS / f"{SDXL}.json"


@pytest.fixture
def no_server_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("INVOKEAI_URL", "INVOKEAI_TOKEN", "INVOKEAI_DB"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def empty_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("INVOKEKIT_CACHE", str(cache))
    return cache


@pytest.mark.server
def test_the_url_token_and_database_come_from_the_environment(monkeypatch, invokeai_sandbox) -> None:
    monkeypatch.setenv("INVOKEAI_URL", invokeai_sandbox.url + "/")
    monkeypatch.setenv("INVOKEAI_TOKEN", "a-token")
    monkeypatch.setenv("INVOKEAI_DB", str(invokeai_sandbox.db_path))
    with Client.from_env(sandbox=lambda: pytest.fail("no sandbox is needed when $INVOKEAI_URL is set")) as client:
        assert client.url == invokeai_sandbox.url
        assert client.transport.token == "a-token"
        found = client.database()
        assert (found.path, found.source) == (invokeai_sandbox.db_path, "db_path")


def test_a_url_without_its_password_gets_it_from_the_environment_for_that_server_only(monkeypatch) -> None:
    monkeypatch.setenv("INVOKEAI_URL", "http://ann:s3cr3t@127.0.0.1:9")
    monkeypatch.setenv("INVOKEAI_TOKEN", "a-token")
    with Client.from_env("http://127.0.0.1:9", db_path=None) as client:  # e.g. the URL a journal recorded
        assert client.url == "http://127.0.0.1:9" and "s3cr3t" not in repr(client)
        assert client.transport.session.auth == ("ann", "s3cr3t") and client.transport.token == "a-token"
    with Client.from_env("http://127.0.0.1:10", db_path=None) as other:
        assert other.transport.session.auth is None and other.transport.token is None


@pytest.mark.server
def test_an_explicit_url_wins_and_takes_nothing_of_the_other_servers(monkeypatch, invokeai_sandbox) -> None:
    monkeypatch.setenv("INVOKEAI_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("INVOKEAI_TOKEN", "not-for-this-server")
    monkeypatch.setenv("INVOKEAI_DB", "/nonexistent/invokeai.db")
    with Client.from_env(invokeai_sandbox.url) as client:
        assert client.url == invokeai_sandbox.url
        assert client.transport.token is None  # the environment's token belongs to its own server
        found = client.database()
        assert found.source == f"sandbox {invokeai_sandbox.name!r}"  # found, not the environment's path
    with Client.from_env(os.environ["INVOKEAI_URL"]) as same:  # the environment's server, named explicitly
        assert same.transport.token == "not-for-this-server"


@pytest.mark.server
@pytest.mark.usefixtures("no_server_in_env")
def test_without_a_url_the_sandbox_is_the_server(invokeai_sandbox) -> None:
    with Client.from_env() as client:  # $INVOKEKIT_SANDBOX names it, as for the fixture
        assert client.url == invokeai_sandbox.url
        assert client.database().source == f"sandbox {invokeai_sandbox.name!r}"
    with Client.from_env(sandbox=invokeai_sandbox) as given, Client.from_env(sandbox=lambda: invokeai_sandbox) as made:
        assert given.url == made.url == invokeai_sandbox.url


@pytest.mark.server
def test_the_plugin_client_fixture_connects_the_same_way(invokeai_client, invokeai_sandbox) -> None:
    assert invokeai_client.url == (server_url() or invokeai_sandbox.url)
    assert invokeai_client.queue.status()["queue"]["queue_id"] == "default"


# --- the CLI ------------------------------------------------------------------------------------


@pytest.mark.server
@pytest.mark.usefixtures("no_server_in_env")
def test_params_of_a_library_workflow_with_only_invokeai_url_set(
    monkeypatch, capsys, invokeai_sandbox, empty_cache: Path
) -> None:
    monkeypatch.setenv("INVOKEAI_URL", invokeai_sandbox.url)
    assert main(["params", SDXL]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"{SDXL}  (schema ") and "positive_prompt" in out
    # no sandbox was started: the cache holds at most the server's cached schema
    assert not empty_cache.exists() or {p.name for p in empty_cache.iterdir()} == {"server-context"}


@pytest.mark.usefixtures("no_server_in_env")
def test_convert_of_a_file_needs_no_server_when_none_is_named(capsys, empty_cache: Path) -> None:
    assert main(["convert", str(SDXL_FILE)]) == 0
    graph = json.loads(capsys.readouterr().out)
    assert {node["type"] for node in graph["nodes"].values()} >= {"sdxl_model_loader", "l2i"}
    assert not empty_cache.exists()


@pytest.mark.server
@pytest.mark.usefixtures("no_server_in_env")
def test_convert_of_a_file_uses_the_server_invokeai_url_names(monkeypatch, capsys, invokeai_sandbox) -> None:
    monkeypatch.setenv("INVOKEAI_URL", invokeai_sandbox.url)
    assert main(["convert", str(SDXL_FILE), "--set", "model=tiny-sdxl"]) == 0  # a model name needs the server
    graph = json.loads(capsys.readouterr().out)
    [loader] = [n for n in graph["nodes"].values() if n["type"] == "sdxl_model_loader"]
    assert loader["model"]["name"] == "tiny-sdxl" and loader["model"]["key"]
    monkeypatch.setenv("INVOKEAI_URL", "http://127.0.0.1:9")  # and it really is that server that is asked
    assert main(["convert", str(SDXL_FILE)]) != 0
    assert "127.0.0.1:9" in capsys.readouterr().err
