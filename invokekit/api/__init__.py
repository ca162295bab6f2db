"""The bottom of the house: HTTP to one InvokeAI server. The transport (one session, auth,
retries for calls that are safe to repeat), typed errors built from responses, and every endpoint
the package uses, as a method of a namespace. Nothing above this package builds a URL.

``set_testing(True)`` turns the transport's waits between retries off, for tests. Inside
``with deadline(seconds):`` every request ends by then. URLs are shown without their password
(:func:`redact` masks any secret in a text).
"""

from invokekit.api._app import App
from invokekit.api._auth import Auth
from invokekit.api._base import segment
from invokekit.api._boards import Boards
from invokekit.api._deadline import deadline, time_left
from invokekit.api._items import STATUSES, TERMINAL, QueueItem
from invokekit.api._media import Images, Videos
from invokekit.api._models import Models
from invokekit.api._queue import Queue
from invokekit.api._responses import error_from_response
from invokekit.api._retry import is_testing, set_testing
from invokekit.api._secrets import redact
from invokekit.api._style_presets import StylePresets
from invokekit.api._transport import DEFAULT_URL, Transport
from invokekit.api._utilities import Utilities
from invokekit.api._workflows import Workflows

__all__ = [
    "DEFAULT_URL",
    "STATUSES",
    "TERMINAL",
    "App",
    "Auth",
    "Boards",
    "Images",
    "Models",
    "Queue",
    "QueueItem",
    "StylePresets",
    "Transport",
    "Utilities",
    "Videos",
    "Workflows",
    "deadline",
    "error_from_response",
    "is_testing",
    "redact",
    "segment",
    "set_testing",
    "time_left",
]
