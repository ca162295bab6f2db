"""Each server's own conversion and pre-flight: a server that lacks what the sweep needs is left
out with a warning; input that no server takes is refused before anything is sent to any."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _graphs import blank_resize, tiny_sdxl

from invokekit.api import Transport
from invokekit.client import Client
from invokekit.errors import ParameterError, PreflightError
from invokekit.pool import Pool, ServerSkipped
from invokekit.sandbox import MODEL_NAMES, Sandbox
from invokekit.sandbox._model_files import ensure_model_files
from invokekit.sandbox._models import install_tiny_models

SDXL = "Text to Image - SDXL"


@pytest.fixture
def without_main_model(second_sandbox: Sandbox) -> Iterator[Sandbox]:
    """The second sandbox with its tiny SDXL main model forgotten (the file stays; put back after)."""
    with Client(second_sandbox.url) as client:
        keys = [m["key"] for m in client.models.list() if m["name"] == MODEL_NAMES["main"]]
        client.models.delete(*keys)
    try:
        yield second_sandbox
    finally:
        transport = Transport(second_sandbox.url, timeout=60.0)
        try:
            layout = second_sandbox.layout
            install_tiny_models(transport, ensure_model_files(layout, status=None), builds=layout.models_dir)
        finally:
            transport.close()


def queue_sizes(urls: list[str]) -> list[int]:
    sizes = []
    for url in urls:
        with Client(url) as client:
            sizes.append(len(client.queue.item_ids()))
    return sizes


@pytest.mark.server
@pytest.mark.timeout(180)
def test_a_server_lacking_the_model_is_skipped_with_a_warning(invokeai_sandbox: Sandbox,
                                                             without_main_model: Sandbox) -> None:
    good, lacking = invokeai_sandbox.url, without_main_model.url
    before = queue_sizes([lacking])
    with Pool([good, lacking]) as pool:
        with pytest.warns(ServerSkipped, match=lacking):
            job = pool.submit(SDXL, sets=tiny_sdxl(64, 1), sweep={"seed": [1, 2, 3]})
        results = job.result(timeout=120)
    assert job.servers == [good]
    assert isinstance(job.skipped[lacking], PreflightError)
    assert [p.field for p in job.skipped[lacking].problems] == ["model"]
    assert [r.values["seed"] for r in results] == [1, 2, 3] and {r.server for r in results} == {good}
    assert queue_sizes([lacking]) == before  # fed nothing


@pytest.mark.server
@pytest.mark.timeout(120)
def test_bad_input_is_refused_before_anything_is_sent_to_any_server(servers: list[str], tmp_path: Path) -> None:
    before = queue_sizes(servers)
    journal = tmp_path / "j.jsonl"
    with Pool(servers) as pool:
        with pytest.raises(PreflightError) as info:  # no server has it: what one server would say
            pool.submit(SDXL, sets=tiny_sdxl(64, 1, model="no-such-model"), sweep={"seed": [1, 2]}, journal=journal)
        assert [p.field for p in info.value.problems] == ["model"]
        with pytest.raises(ParameterError, match="no_such_parameter"):
            pool.submit(SDXL, sets={"no_such_parameter": 1}, journal=journal)
        with pytest.raises(ParameterError, match="strategy"):
            pool.submit(blank_resize(), strategy="round-robin", journal=journal)  # type: ignore[arg-type]
        with pytest.raises(ParameterError, match="placeholder"):
            pool.submit(blank_resize(), sweep={"resize.width": [30, 31]}, name="{nope}", journal=journal)
    assert queue_sizes(servers) == before
    assert not journal.exists()  # nothing was even journaled


@pytest.mark.server
@pytest.mark.timeout(120)
def test_a_server_that_does_not_answer_is_skipped(invokeai_sandbox: Sandbox) -> None:
    dead = "http://127.0.0.1:9"  # nothing listens there: refused
    with Pool([dead, invokeai_sandbox.url], timeout=5) as pool:
        with pytest.warns(ServerSkipped, match="127.0.0.1:9"):
            job = pool.submit(blank_resize(), sweep={"resize.width": [30, 31]})
        assert job.servers == [invokeai_sandbox.url]
        assert [r.images[0].width for r in job.result(timeout=60)] == [30, 31]


def test_a_pool_names_each_server_once_and_reads_server_files(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match="twice"):
        Pool(["http://127.0.0.1:9", "http://127.0.0.1:9/"])
    with pytest.raises(ParameterError, match="at least one"):
        Pool([])
    listed = tmp_path / "servers.txt"
    listed.write_text("# the render boxes\nhttp://127.0.0.1:9001\n\nhttp://127.0.0.1:9002  # the slow one\n")
    toml = tmp_path / "servers.toml"
    toml.write_text('servers = ["http://127.0.0.1:9001", "http://127.0.0.1:9002"]\n')
    for path in (listed, toml):
        with Pool.from_file(path) as pool:
            assert [c.url for c in pool.clients] == ["http://127.0.0.1:9001", "http://127.0.0.1:9002"]
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(ParameterError, match="no server URL"):
        Pool.from_file(tmp_path / "empty.txt")
    with pytest.raises(ParameterError, match="cannot read"):
        Pool.from_file(tmp_path / "missing.txt")
