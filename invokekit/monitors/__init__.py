"""Watching queue items: one interface, three backends (API polling, SQLite, socket.io events)."""

from invokekit.monitors._base import STATUSES, TERMINAL, Monitor, StatusUpdate, UpdateCallback

__all__ = ["STATUSES", "TERMINAL", "Monitor", "StatusUpdate", "UpdateCallback"]
