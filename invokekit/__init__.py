"""invokekit: drive a real InvokeAI server from Python, Jupyter and the shell.

The public surface is re-exported here and listed in ``__all__``; everything in modules whose
names start with an underscore is private. Heavy parts (HTTP, socket.io, widgets) are imported
lazily, on first use of their names, so ``import invokekit`` stays cheap.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

from invokekit.errors import (
    AuthenticationError,
    DownloadError,
    GraphError,
    GraphRejected,
    InvokekitError,
    JobCanceled,
    JobError,
    JobFailed,
    JobTimeout,
    JournalError,
    MonitorError,
    MonitorUnavailable,
    ParameterError,
    PreflightError,
    Problem,
    QueueFull,
    SandboxError,
    ServerError,
    ServerUnavailable,
    UnsupportedWorkflowVersion,
    WorkflowError,
)

__version__ = "0.1.0"

# A library configures no output of its own: without this, Python's last-resort handler would print
# invokekit's warnings (a retry, a model reset while loading) on stderr, e.g. into a notebook's
# cells. An application shows them by configuring logging; the CLI does (`invokekit -v`).
logging.getLogger("invokekit").addHandler(logging.NullHandler())

if TYPE_CHECKING:  # what editors and type checkers see instead of the lazy names (no Any)
    from invokekit.api import QueueItem  # noqa: F401
    from invokekit.client import Client, ItemResult, Job  # noqa: F401
    from invokekit.monitors import StatusUpdate, make_monitor  # noqa: F401
    from invokekit.pool import Pool, PoolJob  # noqa: F401
    from invokekit.results import ImageRef, Journal, Timings  # noqa: F401
    from invokekit.sandbox import Sandbox  # noqa: F401
    from invokekit.widgets import GenerationPanel  # noqa: F401
    from invokekit.workflow import Batch, Parameter, ServerContext, Workflow  # noqa: F401

# public name -> module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "Sandbox": "invokekit.sandbox",
    "Workflow": "invokekit.workflow",
    "Batch": "invokekit.workflow",
    "Parameter": "invokekit.workflow",
    "ServerContext": "invokekit.workflow",
    "Client": "invokekit.client",
    "Job": "invokekit.client",
    "Pool": "invokekit.pool",
    "PoolJob": "invokekit.pool",
    "ItemResult": "invokekit.client",
    "ImageRef": "invokekit.results",
    "QueueItem": "invokekit.api",
    "make_monitor": "invokekit.monitors",
    "StatusUpdate": "invokekit.monitors",
    "Timings": "invokekit.results",
    "Journal": "invokekit.results",
    "GenerationPanel": "invokekit.widgets",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'invokekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AuthenticationError",
    "DownloadError",
    "GraphError",
    "GraphRejected",
    "InvokekitError",
    "JobCanceled",
    "JobError",
    "JobFailed",
    "JobTimeout",
    "JournalError",
    "MonitorError",
    "MonitorUnavailable",
    "ParameterError",
    "PreflightError",
    "Problem",
    "QueueFull",
    "SandboxError",
    "ServerError",
    "ServerUnavailable",
    "UnsupportedWorkflowVersion",
    "WorkflowError",
    "__version__",
    *_LAZY,
]
