"""The exceptions invokekit raises, in one small hierarchy.

Every error carries the context a user needs to fix the problem (file, node, field, HTTP status,
queue item, log path) as attributes *and* in its message, so that a notebook traceback alone is
enough to act on. Catch :class:`InvokekitError` to handle all of them. Bad input (``_input``) is
told apart from a failed run (``_runtime``): the CLI exits 2 for the first, 1 for the second.
"""

from invokekit.errors._input import (
    LIBRARY_PREFIX,  # noqa: F401 - used by the package (not public)
    SHOWN_CANDIDATES,  # noqa: F401 - used by the package (not public)
    GraphError,
    InvokekitError,
    MediaError,
    ParameterError,
    PreflightError,
    Problem,
    UnsupportedWorkflowVersion,
    WorkflowError,
)
from invokekit.errors._runtime import (
    AuthenticationError,
    DownloadError,
    GraphRejected,
    JobCanceled,
    JobError,
    JobFailed,
    JobTimeout,
    JournalError,
    MonitorError,
    MonitorUnavailable,
    QueueFull,
    SandboxError,
    ServerError,
    ServerUnavailable,
    unavailable_advice,  # noqa: F401 - used by the package (not public)
)

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
    "MediaError",
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
]
