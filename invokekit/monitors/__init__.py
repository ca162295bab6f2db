"""Watching queue items: one interface, three backends (API polling, SQLite, socket.io events).

``make_monitor(name, transport, db_path=..., queue_id=...)`` builds one by name (``auto``,
``events``, ``db``, ``api``); every backend's ``watch(item_ids, timeout=, on_update=)`` blocks until
all items are terminal and emits the same :class:`StatusUpdate` values. An :class:`EventHub` is
one socket.io connection kept open and shared by the waits of a client.
"""

from invokekit.api._items import STATUSES, TERMINAL
from invokekit.monitors._api import ApiMonitor
from invokekit.monitors._auto import MONITOR_NAMES, AutoMonitor, MonitorFallbackWarning, make_monitor
from invokekit.monitors._base import Monitor, StatusUpdate, UpdateCallback
from invokekit.monitors._db import DbMonitor
from invokekit.monitors._events import EventMonitor
from invokekit.monitors._hub import EventHub
from invokekit.monitors._progress import ProgressBar, progress_bar

__all__ = [
    "MONITOR_NAMES",
    "STATUSES",
    "TERMINAL",
    "ApiMonitor",
    "AutoMonitor",
    "DbMonitor",
    "EventHub",
    "EventMonitor",
    "Monitor",
    "MonitorFallbackWarning",
    "ProgressBar",
    "StatusUpdate",
    "UpdateCallback",
    "make_monitor",
    "progress_bar",
]
