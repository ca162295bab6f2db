"""The sandbox's pieces that need no server: config writing, ports, requirement pins, the vocabulary."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from invokekit.sandbox import _leases
from invokekit.sandbox._layout import REQUIREMENTS, Layout
from invokekit.sandbox._ports import HOST, free_port, port_is_free
from invokekit.sandbox._server import write_config
from invokekit.sandbox._tiny import _text
from invokekit.sandbox._venv import _pins, venv_is_complete


def test_write_config_sets_our_keys_and_keeps_the_others(tmp_path: Path) -> None:
    path = write_config(tmp_path, 1234)
    text = path.read_text()
    assert "host: 127.0.0.1\nport: 1234\ndevice: cpu\nprecision: float32\n" in text
    path.write_text(text + "log_level: debug\n")
    text = write_config(tmp_path, 4321).read_text()
    assert "log_level: debug" in text
    assert "port: 4321" in text and "port: 1234" not in text
    assert text.count("device:") == 1


def test_a_bound_port_is_not_free() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))  # bound, not even listening: InvokeAI could not use it either
        assert not port_is_free(s.getsockname()[1])
    assert port_is_free(free_port())


def test_requirement_pins() -> None:
    assert _pins(REQUIREMENTS) == {
        "invokeai": "6.14.2",
        "torch": "2.14.1",
        "torchvision": "0.29.1",
        "websocket-client": None,
    }
    assert _pins(["/some/where/pkg.whl"]) == {}


def test_a_venv_without_marker_is_not_complete(tmp_path: Path) -> None:
    assert not venv_is_complete(Layout(tmp_path), REQUIREMENTS)


def test_vocabulary_is_byte_level_bpe_with_clip_specials() -> None:
    vocab, merges = _text.build_vocab()
    assert len(set(vocab.values())) == len(vocab)
    assert vocab["<|endoftext|>"] == len(vocab) - 1
    assert all(a + b in vocab for a, b in merges)
    assert sum(1 for tok in vocab if len(tok) == 1) == 256


def test_leases_count_only_other_live_processes(tmp_path: Path) -> None:
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _leases.add(tmp_path)
        (tmp_path / "users" / str(other.pid)).touch()
        (tmp_path / "users" / "999999999").touch()  # a dead process: ignored and cleaned up
        assert _leases.remove_and_count_others(tmp_path) == 1
        assert sorted(p.name for p in (tmp_path / "users").iterdir()) == [str(other.pid)]
    finally:
        other.kill()
        other.wait()
    assert _leases.remove_and_count_others(tmp_path) == 0
