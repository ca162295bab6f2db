"""Importing what a client's first job needs in the background, once per process.

``import invokekit`` and ``Client(...)`` stay light (~40 ms) because the heavy imports are
deferred to first use: requests with urllib3, the workflow and batch modules, python-socketio
with engineio. Unwarmed, the first job of a process carries them all (~100 ms more than every
later job). The first :class:`~invokekit.client.Client` of a process starts one daemon thread that
imports them while the caller is still loading a workflow or choosing values. A job that comes
sooner waits on the module being imported (Python's per-module import locks) and never takes
longer than importing it itself; the import graph of the package has no cycle, so the two
threads cannot deadlock. The thread does nothing else: no request, no connection, no state.
"""

from __future__ import annotations

import importlib
import logging
import threading

log = logging.getLogger("invokekit.client")

#: what the first submit and wait import, in the order they import it
FIRST_JOB_MODULES = (
    "requests",
    "invokekit.client._prepare",
    "invokekit.client._stream",
    "invokekit.monitors",
    "socketio",
)

_lock = threading.Lock()
_thread: threading.Thread | None = None


def warm_up() -> threading.Thread | None:
    """Start the import thread, the first time only; return it then (else None)."""
    global _thread
    with _lock:
        if _thread is not None:
            return None
        _thread = threading.Thread(target=_import_all, name="invokekit-warm-up", daemon=True)
        _thread.start()
        return _thread


def _import_all() -> None:
    for name in FIRST_JOB_MODULES:
        try:
            importlib.import_module(name)
        except Exception as exc:  # the job's own import raises it again, where the user sees it
            log.debug("warming up: importing %s failed: %s", name, exc)
