"""What every namespace shares: the transport, and the one way a value becomes part of a path."""

from __future__ import annotations

from urllib.parse import quote

from invokekit.api._transport import Transport


def segment(value: str | int) -> str:
    """``value`` as one path segment: every character but unreserved ones percent-encoded, so a
    name holding ``/``, ``?`` or ``..`` can never reach another endpoint."""
    return quote(str(value), safe="")


class Namespace:
    """A group of endpoints of one REST resource, over a shared :class:`Transport`."""

    def __init__(self, transport: Transport) -> None:
        self._t = transport

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._t.base_url!r})"


__all__ = ["Namespace", "segment"]
