"""Installing the tiny models into a running server through its model manager API, idempotently.

A model already listed under the same name and type, from the same path, is left alone; so is one
from a path of somebody else's. One listed from an older build of ours (under the cache's models
folder) is forgotten first: InvokeAI only unregisters models that lie outside its own models
folder, so no file is deleted. Otherwise one install job is POSTed (exactly once) and polled until
it completes, and the record must show the expected base and type.
The server then owns the model record; invokekit never writes to its database.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from invokekit.api import Models, Transport
from invokekit.api._lookup import matching_models
from invokekit.errors import SandboxError
from invokekit.sandbox._tiny import TinyModel

_DONE = "completed"
_FAILED = ("error", "cancelled")


def installed_models(transport: Transport) -> list[dict[str, Any]]:
    return Models(transport).list()


def _find(models: list[dict[str, Any]], name: str, model_type: str) -> dict[str, Any] | None:
    return next(iter(matching_models(models, name, types=[model_type])), None)


def _recorded_path(record: dict[str, Any]) -> Path | None:
    recorded = record.get("path")
    return Path(os.path.realpath(recorded)) if isinstance(recorded, str) else None


def install_model(
    transport: Transport,
    path: Path,
    *,
    name: str,
    model_type: str,
    description: str,
    base: str | None = None,
    replaces: Path | None = None,
    timeout: float = 120.0,
    installed: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Install ``path`` in place as ``name`` unless that model is installed already; return its record.

    A record of that name from a path under ``replaces`` (an older build) but not from ``path`` is
    replaced. ``installed`` is the server's model list when the caller already has it (saves a
    request). ``base``, when given, is the base InvokeAI must have classified the model as.
    """
    models = Models(transport)
    existing = _find(installed if installed is not None else models.list(), name, model_type)
    if existing is not None:
        recorded = _recorded_path(existing)
        older = replaces is not None and recorded is not None and recorded.is_relative_to(os.path.realpath(replaces))
        if recorded == Path(os.path.realpath(path)) or not older:
            return existing
        models.delete(str(existing["key"]))  # an older build of this model: replace the record
    job = models.install(str(path), name=name, description=description)
    job_id = job["id"]
    deadline = time.monotonic() + timeout
    while True:
        job = models.install_job(job_id)
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
    record = _find(models.list(), name, model_type)
    if record is None or (base is not None and record.get("base") != base):
        config_out = job.get("config_out") or {}
        raise SandboxError(
            f"model {name!r} from {path} was installed as base {config_out.get('base')!r}, "
            f"type {config_out.get('type')!r}, not as base {base!r}, type {model_type!r}"
        )
    return record


def install_tiny_models(
    transport: Transport, paths: Mapping[TinyModel, Path], *, builds: Path
) -> list[dict[str, Any]]:
    """Install every tiny model of ``paths`` (model -> built file or folder); return their records.

    ``builds`` holds every build of the tiny models: records from older ones are replaced.
    """
    installed = installed_models(transport)  # one list for all the checks
    return [
        install_model(
            transport,
            path,
            installed=installed,
            name=model.name,
            model_type=model.type,
            base=model.base,
            replaces=builds,
            description=model.description,
        )
        for model, path in paths.items()
    ]
