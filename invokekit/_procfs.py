"""What Linux's ``/proc`` tells about local processes: their arguments, environment, working
directory, and which one listens on a TCP port.

Used to find the root folder (and so the database) of an InvokeAI server on this machine, and by
the sandbox to recognise its own servers. Everything here only reads; a process that is gone or
not ours to inspect gives ``None`` (or nothing), never an error. Without ``/proc`` (not Linux)
every answer is empty.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from pathlib import Path

PROC = Path("/proc")
_LISTEN = "0A"  # the TCP state code of a listening socket in /proc/net/tcp{,6}


def available() -> bool:
    return (PROC / "self").exists()


def cmdline(pid: int) -> list[str] | None:
    """The arguments ``pid`` was started with, or None if it cannot be read."""
    try:
        with open(PROC / str(pid) / "cmdline", "rb") as fh:
            return [a.decode("utf-8", "replace") for a in fh.read().split(b"\0") if a]
    except OSError:
        return None


def environ(pid: int) -> dict[str, str]:
    """The environment ``pid`` was started with (empty if it cannot be read)."""
    try:
        with open(PROC / str(pid) / "environ", "rb") as fh:
            raw = fh.read()
    except OSError:
        return {}
    pairs = (entry.decode("utf-8", "replace").partition("=") for entry in raw.split(b"\0") if b"=" in entry)
    return {key: value for key, _, value in pairs}


def cwd(pid: int) -> Path | None:
    """The working directory of ``pid``, or None if it cannot be read."""
    try:
        return Path(os.readlink(PROC / str(pid) / "cwd"))
    except OSError:
        return None


def _decode_address(hex_address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """An address as /proc/net/tcp{,6} writes it: 32-bit words in host (little-endian) order."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return ipaddress.ip_address(words)


def _listening_inodes(port: int, addresses: set[str]) -> set[str]:
    """Inodes of sockets listening on ``port`` at one of ``addresses`` or at a wildcard address."""
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text(encoding="ascii").splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != _LISTEN:
                continue
            hex_address, _, hex_port = fields[1].partition(":")
            if int(hex_port, 16) != port:
                continue
            address = _decode_address(hex_address)
            mapped = getattr(address, "ipv4_mapped", None)
            if address.is_unspecified or str(address) in addresses or (mapped and str(mapped) in addresses):
                inodes.add(fields[9])
    return inodes


def _pids() -> Iterator[int]:
    try:
        entries = list(PROC.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.isdigit():
            yield int(entry.name)


def listening_pids(port: int, addresses: set[str]) -> list[int]:
    """Pids of the processes holding a socket that listens on ``port`` (at one of ``addresses``, or
    at every address); empty when none can be seen (another user's processes hide their sockets)."""
    if not available():
        return []
    inodes = {f"socket:[{inode}]" for inode in _listening_inodes(port, addresses)}
    if not inodes:
        return []
    found = []
    for pid in _pids():
        try:
            fds = os.listdir(PROC / str(pid) / "fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(PROC / str(pid) / "fd" / fd)
            except OSError:
                continue
            if target in inodes:
                found.append(pid)
                break
    return found


__all__ = ["available", "cmdline", "cwd", "environ", "listening_pids"]
