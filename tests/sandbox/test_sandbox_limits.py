"""A sandbox's CPU limits: the server really runs on the CPUs, with the threads and the nice value
asked for, keeps them when reused or restarted, and is restarted when asked for other ones.

The server test uses a sandbox of its own (``$INVOKEKIT_SANDBOX`` + "-limits"): it restarts it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from invokekit.errors import SandboxError
from invokekit.sandbox import CpuLimits, Sandbox
from invokekit.sandbox._limits import available_cpus, of_process

two_cpus = pytest.mark.skipif(len(available_cpus()) < 2, reason="needs two CPUs to pin servers apart")


def test_cpu_lists_are_read_like_taskset_reads_them() -> None:
    first = min(available_cpus())
    assert CpuLimits.parse(f"{first}").cpus == (first,)
    assert CpuLimits.parse("all") == CpuLimits.parse("") == CpuLimits()
    assert CpuLimits.parse([first, first], 2) == CpuLimits((first,), 2)
    if {0, 1} <= available_cpus():
        assert CpuLimits.parse("0-1").cpus == CpuLimits.parse("1,0").cpus == (0, 1)


def test_options_not_given_keep_the_base_ones() -> None:
    base = CpuLimits((min(available_cpus()),), 3)
    assert CpuLimits.parse(None, None, base=base) == base
    assert CpuLimits.parse(None, 1, base=base) == CpuLimits(base.cpus, 1)
    assert CpuLimits.parse("all", None, base=base) == CpuLimits((), 3)


@pytest.mark.parametrize(("cpus", "threads", "message"), [
    ("0,x", None, "cannot read CPU list '0,x'"),
    ([4096], None, "cannot pin the sandbox to CPU(s) [4096]"),
    (None, -1, "threads must be 0"),
    (None, None, "nice must be between 0 and 19, not -5"),
])
def test_bad_limits_are_refused_when_the_sandbox_is_made(cpus: str | list[int] | None, threads: int | None,
                                                         message: str, tmp_path: Path) -> None:
    nice = -5 if "nice" in message else None
    with pytest.raises(SandboxError, match=re.escape(message)):
        Sandbox("never-started", cache_dir=tmp_path, cpus=cpus, threads=threads, nice=nice, progress=None)
    assert not (tmp_path / "sandboxes").exists()  # nothing was started or written


def test_the_launcher_pins_and_nices_the_command_it_becomes() -> None:
    cpu = max(available_cpus())
    limits = CpuLimits((cpu,), 2, 7)
    script = ("import json, os; print(json.dumps([sorted(os.sched_getaffinity(0)), os.environ.get('OMP_NUM_THREADS'),"
              " os.nice(0) - before]))")
    before = os.nice(0)
    proc = subprocess.run(limits.command([sys.executable, "-c", f"before = {before}; {script}"]),
                          env={**os.environ, **limits.env()}, capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout) == [[cpu], "2", 7]
    assert CpuLimits().command(["x", "y"]) == ["x", "y"] and CpuLimits().env() == {}


def _up_cli(name: str, *options: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-m", "invokekit", "sandbox", "up", "--name", name, "--json", *options],
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


@pytest.fixture
def limited_name() -> Iterator[str]:
    name = f"{os.environ.get('INVOKEKIT_SANDBOX') or 'default'}-limits"
    yield name
    sandbox = Sandbox(name, progress=None)
    sandbox.down()
    shutil.rmtree(sandbox.layout.sandbox_dir(name), ignore_errors=True)


@pytest.mark.server
@two_cpus
def test_a_limited_server_runs_as_asked_keeps_it_and_restarts_for_other_limits(limited_name: str) -> None:
    first, second = sorted(available_cpus())[:2]
    Sandbox(limited_name, progress=None).down()
    info = _up_cli(limited_name, "--cpus", str(first), "--threads", "1", "--nice", "5")
    pinned = CpuLimits((first,), 1, 5)
    assert of_process(int(info["pid"])) == pinned  # every thread's affinity, its environment, its nice value
    if Path("/proc/self/autogroup").exists():  # the kernel schedules by session: the server's session is niced
        assert Path(f"/proc/{info['pid']}/autogroup").read_text().split()[-1] == "5"

    reused = Sandbox(limited_name, progress=None).up()  # no options: as it runs
    assert (reused.pid, reused.limits, reused.started) == (info["pid"], pinned, False)

    moved = Sandbox(limited_name, cpus=[second], progress=None).up()  # other CPUs: restarted, the rest kept
    assert moved.started and moved.pid != info["pid"]
    assert of_process(moved.pid) == moved.limits == CpuLimits((second,), 1, 5)
    assert moved.url == info["url"]  # a restart keeps the port
    moved.down()

    again = Sandbox(limited_name, progress=None).up()  # a later start without options keeps them
    assert of_process(again.pid) == again.limits == CpuLimits((second,), 1, 5)
    again.down()
