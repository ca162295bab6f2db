"""How much of the machine a sandbox's server may use: which CPUs, how many torch threads, what
CPU weight (nice).

Several sandboxes of *different speed* on one machine stand in for a pool of unequal GPU boxes
(the pool benchmark): one server alone on core 0 is about twice as fast as two servers sharing
core 1 while nothing else runs. The limits are applied when the server starts, and only then:

- **CPUs**: the launcher pins itself with ``os.sched_setaffinity`` and then ``exec``\\ s
  ``invokeai-web``, so the server's first thread, and every thread and child it makes later,
  inherit the affinity (pinning the pid after ``Popen`` would race the threads torch starts).
- **threads**: ``OMP_NUM_THREADS`` and its MKL / OpenBLAS siblings in the server's environment set
  torch's intra-op thread count (torch reads them once, at import).
- **nice**: the launcher lowers its priority (``os.nice``) and, where the kernel groups each
  session for scheduling (``sched_autogroup``: the server runs in a session of its own), its
  group's, so the server gets a smaller share of a busy CPU. Pinning alone stops counting once
  other work runs: the kernel moves that work to the less loaded CPU until every server gets
  about the same share; a weight keeps the servers apart.

``CpuLimits()`` (no CPUs listed, threads 0, nice 0) means no limit: the machine's defaults.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from invokekit._files import write_text_atomic
from invokekit.errors import SandboxError

#: the environment variables that set a server's compute thread count
THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")

# pins this process to the CPUs in argv[1] ("0,1" or ""), lowers its priority and its session's by
# argv[2], and becomes the command after them
_LAUNCHER = """import os, sys
cpus, nice = sys.argv[1], int(sys.argv[2])
if cpus:
    os.sched_setaffinity(0, {int(c) for c in cpus.split(",")})
if nice:
    os.nice(nice)
    try:
        with open("/proc/self/autogroup", "w") as group:
            group.write(str(nice))
    except OSError:
        pass
os.execv(sys.argv[3], sys.argv[3:])
"""


def available_cpus() -> set[int]:
    """The CPUs this process may run on (what a server may be pinned to)."""
    if not hasattr(os, "sched_getaffinity"):
        return set(range(os.cpu_count() or 1))
    return set(os.sched_getaffinity(0))


@dataclass(frozen=True)
class CpuLimits:
    """CPUs a server is pinned to (empty: all), its torch thread count (0: torch's default) and
    its niceness (0-19: higher gets less of a busy CPU). A :class:`Sandbox` asked for other
    limits than its running server has restarts it (refused while other processes use it)."""

    cpus: tuple[int, ...] = ()
    threads: int = 0
    nice: int = 0

    @classmethod
    def parse(cls, cpus: Iterable[int] | str | None = None, threads: int | None = None, nice: int | None = None,
              *, base: CpuLimits | None = None) -> CpuLimits:
        """Limits from the caller's options; ``None`` keeps ``base``'s (the ones asked last time).

        ``cpus`` is CPU numbers or a string "0,1", "0-3", "all" (or "" / ``()``: no pinning).
        Raises :class:`SandboxError` for a CPU this machine does not let us use, threads < 0, or a
        nice value outside 0-19 (a higher priority than ours needs privileges).
        """
        base = base or cls()
        chosen = base.cpus if cpus is None else _cpu_list(cpus)
        count = base.threads if threads is None else int(threads)
        weight = base.nice if nice is None else int(nice)
        if count < 0:
            raise SandboxError(f"threads must be 0 (torch's default) or more, not {count}")
        if not 0 <= weight <= 19:
            raise SandboxError(f"nice must be between 0 and 19, not {weight}")
        usable = available_cpus()
        if not set(chosen) <= usable:
            raise SandboxError(
                f"cannot pin the sandbox to CPU(s) {sorted(set(chosen) - usable)}: this process may use "
                f"CPUs {sorted(usable)} only"
            )
        if chosen and not hasattr(os, "sched_setaffinity"):
            raise SandboxError("pinning a sandbox to CPUs needs os.sched_setaffinity (Linux)")
        return cls(tuple(sorted(set(chosen))), count, weight)

    @property
    def limited(self) -> bool:
        return bool(self.cpus or self.threads or self.nice)

    def env(self) -> dict[str, str]:
        """What to add to the server's environment (nothing without a thread count)."""
        return {var: str(self.threads) for var in THREAD_VARS} if self.threads else {}

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run pinned and niced (through the launcher), or as it is without either."""
        if not self.cpus and not self.nice:
            return list(argv)
        return [sys.executable, "-c", _LAUNCHER, ",".join(map(str, self.cpus)), str(self.nice), *argv]

    def as_dict(self) -> dict[str, list[int] | int]:
        return {"cpus": list(self.cpus), "threads": self.threads, "nice": self.nice}

    @classmethod
    def from_dict(cls, data: object) -> CpuLimits:
        if not isinstance(data, dict):
            return cls()
        try:
            return cls(tuple(int(c) for c in data.get("cpus") or ()), int(data.get("threads") or 0),
                       int(data.get("nice") or 0))
        except (TypeError, ValueError):
            return cls()

    def describe(self) -> str:
        cpus = ",".join(map(str, self.cpus)) if self.cpus else "all"
        return f"CPUs {cpus}, threads {self.threads or 'default'}" + (f", nice {self.nice}" if self.nice else "")


def _cpu_list(cpus: Iterable[int] | str) -> tuple[int, ...]:
    if not isinstance(cpus, str):
        return tuple(int(c) for c in cpus)
    text = cpus.strip().lower()
    if text in ("", "all"):
        return ()
    found: list[int] = []
    try:
        for part in text.split(","):
            lo, _, hi = part.partition("-")
            found += range(int(lo), int(hi or lo) + 1)
    except ValueError:
        raise SandboxError(f"cannot read CPU list {cpus!r}: use numbers and ranges such as '0', '0,1', '0-3' "
                           "or 'all'") from None
    return tuple(found)


#: what a Sandbox was asked for: CPUs, threads, nice; None where not asked (keep what there is)
Asked = tuple[tuple[int, ...] | None, int | None, int | None]


def asked(cpus: Iterable[int] | str | None, threads: int | None, nice: int | None = None) -> Asked:
    """The caller's options, checked (:class:`SandboxError` now, not at start) and frozen."""
    parsed = CpuLimits.parse(cpus, threads, nice)
    return (None if cpus is None else parsed.cpus, threads, nice)


def running_and_wanted(running: object, options: Asked) -> tuple[CpuLimits, CpuLimits]:
    """The limits a running server has (its state's ``limits``) and those it would need to have."""
    current = CpuLimits.from_dict(running)
    return current, CpuLimits.parse(*options, base=current)


def for_start(sandbox_dir: Path, options: Asked) -> CpuLimits:
    """The limits a start applies: those asked, the rest as the last start had them (saved in
    ``sandbox_dir/limits.json``, so that a restart without options keeps a sandbox's speed)."""
    path = sandbox_dir / "limits.json"
    try:
        last = CpuLimits.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        last = CpuLimits()
    limits = CpuLimits.parse(*options, base=last)
    write_text_atomic(path, json.dumps(limits.as_dict()) + "\n")
    return limits


def of_process(pid: int) -> CpuLimits:
    """The limits a running process really has: its affinity (every thread's), its thread count
    (environment) and niceness, read from /proc; for checking what a start applied."""
    cpus: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        cpus |= os.sched_getaffinity(int(task.name))
    try:
        environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        environ = []
    values = dict(e.decode("utf-8", "replace").split("=", 1) for e in environ if b"=" in e)
    pinned = () if cpus == available_cpus() else tuple(sorted(cpus))
    return CpuLimits(pinned, int(values.get(THREAD_VARS[0], 0) or 0), os.getpriority(os.PRIO_PROCESS, pid))
