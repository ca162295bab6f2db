"""``db_path="auto"``: the server's database found on this machine and proven to be its, against the real sandbox.

A server whose database is somewhere else is stood for by a TCP proxy in a process of its own in
front of the sandbox (``_proxies.PortProxy``): the process listening on the proxy's port is not InvokeAI,
and its working directory, environment and arguments are what each test chooses. A stale copy of
the sandbox's database stands for "a file that looks right but is another server's".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from _dbcopy import copy_database
from _proxies import PortProxy

from invokekit.client import Client
from invokekit.errors import MonitorError, MonitorUnavailable
from invokekit.monitors import ApiMonitor, AutoMonitor

MODEL_FREE = {
    "nodes": {"n": {"id": "n", "type": "integer", "value": 7, "use_cache": False}},
    "edges": [],
}


def run_one(client: Client) -> None:
    """One finished queue item, so that the queue has something to compare."""
    client.submit(MODEL_FREE).wait(monitor="api", timeout=120)


@pytest.mark.server
def test_the_sandbox_database_is_found_and_proven(client: Client, invokeai_sandbox) -> None:
    run_one(client)
    found = client.database(refresh=True)
    assert found.path == invokeai_sandbox.db_path
    assert found.source == f"sandbox {invokeai_sandbox.name!r}"
    assert found.verdict == "proven", found.reason
    assert client.db_path == str(invokeai_sandbox.db_path)
    assert client.monitor_for("auto").order == ("events", "db", "api")  # auto reads it, once proven


@pytest.mark.server
@pytest.mark.parametrize("how", ["--root", "--root=", "INVOKEAI_ROOT", "working directory"])
def test_the_root_of_the_process_listening_on_the_port_is_found(invokeai_sandbox, tmp_path: Path, how: str) -> None:
    root = invokeai_sandbox.root
    args = {"--root": ["--root", str(root)], "--root=": [f"--root={root}"]}.get(how, [])
    env = {"INVOKEAI_ROOT": str(root)} if how == "INVOKEAI_ROOT" else {}
    cwd = root if how == "working directory" else tmp_path
    with PortProxy(invokeai_sandbox.url, cwd=cwd, env=env, args=args) as proxy, Client(proxy.url) as client:
        run_one(client)
        found = client.database()
        assert found.path == invokeai_sandbox.db_path
        assert found.source is not None and found.source.startswith(f"{how.rstrip('=')} of pid {proxy.pid}")
        assert found.verdict == "proven", found.reason
        assert isinstance(client.monitor_for("db"), AutoMonitor)


@pytest.mark.server
def test_no_database_on_this_machine_refuses_the_db_monitor_and_auto_goes_without(
    invokeai_sandbox, tmp_path: Path
) -> None:
    with PortProxy(invokeai_sandbox.url, cwd=tmp_path) as proxy, Client(proxy.url) as client:
        found = client.database()
        assert found.path is None and found.verdict == "refused"
        assert f"working directory of pid {proxy.pid}" in found.reason
        with pytest.raises(MonitorUnavailable, match=r"--db PATH.*INVOKEAI_DB") as err:
            client.monitor_for("db")
        assert err.value.backend == "db" and proxy.url in str(err.value)
        auto = client.monitor_for("auto")
        assert isinstance(auto, AutoMonitor) and auto.order == ("events", "api")
        job = client.submit(MODEL_FREE)
        [result] = job.wait(monitor="auto", timeout=120)
        assert result.status == "completed"


@pytest.mark.server
def test_a_stale_copy_of_the_database_fails_the_proof(client: Client, invokeai_sandbox, tmp_path: Path) -> None:
    run_one(client)
    root = tmp_path / "root"
    copy = copy_database(invokeai_sandbox.db_path, root / "databases" / "invokeai.db", rollback_journal=True)
    run_one(client)  # the server moves on; the copy does not
    env = {"INVOKEAI_ROOT": str(root)}
    with PortProxy(invokeai_sandbox.url, cwd=tmp_path, env=env) as proxy, Client(proxy.url) as through_proxy:
        found = through_proxy.database()
        assert found.path is None
        assert f"INVOKEAI_ROOT of pid {proxy.pid}" in found.reason and "another server's database" in found.reason
        with pytest.raises(MonitorError, match="another server's database"):
            through_proxy.monitor_for("db")
    with Client(invokeai_sandbox.url, db_path=copy) as given:  # a path the user gives is proven too
        assert given.db_path is None
        assert given.monitor_for("auto").order == ("events", "api")  # auto goes without it
        with pytest.raises(MonitorError, match=r"the db_path given.*another server's database"):
            given.monitor_for("db")


@pytest.mark.server
def test_a_database_given_explicitly_is_used_when_it_is_the_servers(invokeai_sandbox) -> None:
    with Client(invokeai_sandbox.url, db_path=invokeai_sandbox.db_path) as client:
        run_one(client)
        found = client.database(refresh=True)
        assert (found.path, found.source, found.verdict) == (invokeai_sandbox.db_path, "db_path", "proven")
        [result] = client.submit(MODEL_FREE).wait(monitor="db", timeout=120)
        assert result.status == "completed"


def test_a_server_on_another_machine_has_no_database_here() -> None:
    with Client("http://192.0.2.10:9090") as client:  # TEST-NET-1: never one of this machine's addresses
        found = client.database()
        assert found.path is None and "not on this machine" in found.reason
        assert client.transport.requests_sent == 0  # decided without asking the server
        with pytest.raises(MonitorError, match="not on this machine"):
            client.monitor_for("db")
        assert isinstance(client.monitor_for("api"), ApiMonitor)


def test_db_path_none_turns_the_database_off() -> None:
    with Client("http://127.0.0.1:9", db_path=None) as client:
        assert client.db_path is None and client.database().verdict == "off"
        with pytest.raises(MonitorError, match="db_path=None"):
            client.monitor_for("db")
