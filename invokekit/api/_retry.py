"""When a request is tried again, and how long to wait first: the transport's retry policy.

Only calls that cannot change anything twice are retried: idempotent methods (GET, HEAD, OPTIONS,
PUT, DELETE) and POSTs that only read (``*_by_ids``, marked by their namespace method). They are
retried on connection errors and timeouts, and on 502/503/504 (a proxy or a server that is
restarting), with exponential back-off and jitter; a ``Retry-After`` the server sends is
honoured (never waited less), and one longer than :data:`MAX_RETRY_AFTER` ends the retries. The
enqueue POST is never retried here: its callers recover a lost answer by asking the server.

Every retry is logged on ``invokekit.http`` at WARNING: method, path, reason, attempt (never a
header or a body, so never a token or a password).

Tests turn the waits off with :func:`set_testing` (as stamina's ``set_testing`` does), so that
retry paths run at full speed.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass

log = logging.getLogger("invokekit.http")

#: methods that may be sent again without changing anything twice
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: answers that mean "not now" (a proxy without its server, a server starting or overloaded)
RETRY_STATUSES = frozenset({502, 503, 504})
#: the first back-off (seconds); each retry doubles it, up to ``MAX_BACKOFF``
FIRST_BACKOFF = 0.2
MAX_BACKOFF = 5.0
#: a ``Retry-After`` longer than this (seconds) is not waited for: the error is raised instead
MAX_RETRY_AFTER = 60.0


@dataclass(frozen=True)
class _Testing:
    attempts: int | None


_lock = threading.Lock()
_testing: _Testing | None = None


def set_testing(testing: bool, *, attempts: int | None = None) -> None:
    """Turn test mode on or off (process-wide; idempotent).

    In test mode the transport never sleeps between attempts (back-off and ``Retry-After`` waits
    are skipped, though still logged), so retry paths run at full speed. ``attempts``, when
    given, replaces every retryable call's number of attempts (1: no retries at all).
    """
    global _testing
    if attempts is not None and attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    with _lock:
        _testing = _Testing(attempts) if testing else None


def is_testing() -> bool:
    """Whether :func:`set_testing` turned test mode on."""
    return _testing is not None


def attempts_for(method: str, *, read_only: bool, retries: int) -> int:
    """How many times a call may be sent: once, unless it is safe to repeat."""
    if method.upper() not in IDEMPOTENT_METHODS and not read_only:
        return 1
    testing = _testing
    if testing is not None and testing.attempts is not None:
        return testing.attempts
    return 1 + max(0, retries)


def backoff(attempt: int) -> float:
    """The wait before retry number ``attempt + 1``: exponential, with jitter (half of it random),
    so that many clients that lost the same server do not come back in step."""
    ceiling = min(MAX_BACKOFF, FIRST_BACKOFF * 2**attempt)
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds asked for by a ``Retry-After`` header (delta-seconds or an HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        import email.utils  # only for a date-valued Retry-After: ~8 ms an import need not pay

        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def pause(seconds: float) -> None:
    """Sleep between attempts, unless in test mode."""
    if _testing is None and seconds > 0:
        time.sleep(seconds)


def log_retry(method: str, path: str, reason: str, attempt: int, attempts: int, wait: float) -> None:
    """One WARNING per retry: what is sent again, why, after how long, and as which attempt
    (``attempt``, counted from 1, of ``attempts``)."""
    log.warning(
        "%s %s: %s; retrying in %.2f s (attempt %d of %d)%s",
        method,
        path,
        reason,
        wait,
        attempt,
        attempts,
        " [test mode: not waiting]" if _testing is not None else "",
    )


__all__ = [
    "IDEMPOTENT_METHODS",
    "MAX_RETRY_AFTER",
    "RETRY_STATUSES",
    "attempts_for",
    "backoff",
    "is_testing",
    "log_retry",
    "pause",
    "retry_after",
    "set_testing",
]
