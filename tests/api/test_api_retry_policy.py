"""The retry policy's rules, without a server: who may be sent again, how long to wait, what a
Retry-After says, and the test switch."""

from __future__ import annotations

import email.utils
import time

import pytest

from invokekit.api import _retry, is_testing, set_testing


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE", "get"])
def test_idempotent_methods_get_the_retries(method: str) -> None:
    assert _retry.attempts_for(method, read_only=False, retries=2) == 3


def test_a_post_is_sent_once_unless_it_only_reads() -> None:
    assert _retry.attempts_for("POST", read_only=False, retries=5) == 1
    assert _retry.attempts_for("POST", read_only=True, retries=5) == 6
    assert _retry.attempts_for("PATCH", read_only=False, retries=5) == 1


def test_backoff_grows_exponentially_with_jitter_and_a_ceiling() -> None:
    for attempt in range(12):
        ceiling = min(_retry.MAX_BACKOFF, _retry.FIRST_BACKOFF * 2**attempt)
        waits = {_retry.backoff(attempt) for _ in range(50)}
        assert all(ceiling / 2 <= w <= ceiling for w in waits)
        assert len(waits) > 1  # jittered: many clients do not come back in step


def test_retry_after_in_seconds_or_as_an_http_date() -> None:
    assert _retry.retry_after("3") == 3.0
    assert _retry.retry_after(" 0 ") == 0.0
    now = time.time()
    assert _retry.retry_after(email.utils.formatdate(now + 10, usegmt=True), now=now) == pytest.approx(10, abs=1)
    assert _retry.retry_after(email.utils.formatdate(now - 10, usegmt=True), now=now) == 0.0  # in the past
    for nonsense in (None, "", "soon", "-1", "1.5e3"):
        assert _retry.retry_after(nonsense) is None


def test_set_testing_turns_waits_off_and_can_set_attempts() -> None:
    assert not is_testing()
    try:
        set_testing(True)
        assert is_testing()
        started = time.monotonic()
        _retry.pause(30)
        assert time.monotonic() - started < 5
        assert _retry.attempts_for("GET", read_only=False, retries=2) == 3  # retries unchanged
        set_testing(True, attempts=1)
        assert _retry.attempts_for("GET", read_only=False, retries=2) == 1
        assert _retry.attempts_for("POST", read_only=False, retries=2) == 1  # never more for a write
        set_testing(True, attempts=4)
        assert _retry.attempts_for("POST", read_only=False, retries=2) == 1
        with pytest.raises(ValueError):
            set_testing(True, attempts=0)
    finally:
        set_testing(False)
    assert not is_testing()
