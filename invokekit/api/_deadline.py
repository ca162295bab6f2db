"""One deadline for a series of requests: a wait of 10 s ends after about 10 s, whatever the server.

A single request is bounded by the transport's ``timeout``, but a wait sends many (polls, retries,
a socket.io connection), and a frozen server makes each of them hang for the whole timeout, times
the attempts. So a caller that must be done by some moment opens a :func:`deadline` block: every
request the transport sends in it (in this thread; threads do not share it) gets at most the time
that is left as its timeout, no retry starts that could not finish in time, and no request is
sent once the time is up. Blocks nest; the earlier end wins.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# the ``time.monotonic()`` moment every request in the current block must be done by
_ends_at: ContextVar[float | None] = ContextVar("invokekit_deadline", default=None)


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Bound every request of this block (and this thread) to end within ``seconds`` from now.

    ``None`` adds no bound (an enclosing block's still holds).
    """
    if seconds is None:
        yield
        return
    ends = time.monotonic() + max(0.0, seconds)
    outer = _ends_at.get()
    token = _ends_at.set(ends if outer is None else min(outer, ends))
    try:
        yield
    finally:
        _ends_at.reset(token)


def time_left() -> float | None:
    """Seconds left before the current block's deadline (0 when passed), None outside any block."""
    ends = _ends_at.get()
    return None if ends is None else max(0.0, ends - time.monotonic())


__all__ = ["deadline", "time_left"]
