"""Installing the tiny models into a running server through its model manager API, idempotently.

A model already listed under the same name is left alone; otherwise one install job is POSTed
(exactly once) and polled until it completes. The server then owns the model record; invokekit
never writes to its database.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from invokekit.api import Models, Transport
from invokekit.errors import SandboxError

_DONE = "completed"
_FAILED = ("error", "cancelled")


def installed_models(transport: Transport) -> list[dict[str, Any]]:
    return Models(transport).list()


def _find(models: list[dict[str, Any]], name: str, model_type: str) -> dict[str, Any] | None:
    return next((m for m in models if m.get("name") == name and m.get("type") == model_type), None)


def install_model(
    transport: Transport,
    path: Path,
    *,
    name: str,
    model_type: str,
    description: str,
    timeout: float = 120.0,
    installed: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Install ``path`` in place as ``name`` unless a model of that name and type exists; return its record.

    ``installed`` is the server's model list when the caller already has it (saves a request).
    """
    existing = _find(installed if installed is not None else installed_models(transport), name, model_type)
    if existing is not None:
        return existing
    job = Models(transport).install(str(path), name=name, description=description, inplace=True)
    job_id = job["id"]
    deadline = time.monotonic() + timeout
    while True:
        job = Models(transport).install_job(job_id)
        status = job.get("status")
        if status == _DONE:
            break
        if status in _FAILED:
            raise SandboxError(
                f"installing model {name!r} from {path} failed: {job.get('error_reason')}: {job.get('error')}"
            )
        if time.monotonic() > deadline:
            raise SandboxError(f"installing model {name!r} from {path}: job {job_id} still {status!r} after {timeout}s")
        time.sleep(0.2)
    record = _find(installed_models(transport), name, model_type)
    if record is None:
        config_out = job.get("config_out") or {}
        raise SandboxError(
            f"model {name!r} from {path} was installed as base {config_out.get('base')!r}, "
            f"type {config_out.get('type')!r}, not as type {model_type!r}"
        )
    return record
