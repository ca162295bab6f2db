"""One deadline bounds a series of requests: inside ``deadline(s)`` a stalled answer ends the request
when the time is up (not after the transport's 30 s timeout times three attempts), no retry starts
that could not finish in time, and nothing is sent once it has passed."""

from __future__ import annotations

import time

import pytest
from _faultproxy import FaultProxy, Rules

from invokekit.api import Transport, deadline, time_left
from invokekit.errors import ServerUnavailable


def is_status(method: str, path: str) -> bool:
    return method == "GET" and path.endswith("/queue/default/status")


def test_blocks_nest_and_the_earlier_end_wins() -> None:
    assert time_left() is None
    with deadline(60):
        assert 59 < (time_left() or 0) <= 60
        with deadline(5):
            assert (time_left() or 0) <= 5
        with deadline(600):  # a later end does not extend the outer one
            assert (time_left() or 0) <= 60
        with deadline(None):
            assert (time_left() or 0) <= 60
    assert time_left() is None


@pytest.mark.server
def test_a_stalled_answer_ends_at_the_deadline_without_retries(invokeai_sandbox) -> None:
    rules = Rules(stall_response=is_status, stall_seconds=60)  # the server answers, the proxy holds it back
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        transport = Transport(proxy.url, timeout=30, retries=2)
        began = time.monotonic()
        with deadline(2), pytest.raises(ServerUnavailable, match="read timed out, at the deadline"):
            transport.get_json("/api/v1/queue/default/status")
        assert time.monotonic() - began < 6  # not 3 attempts x 30 s
        assert sum(1 for m, p in rules.seen if is_status(m, p)) == 1  # no retry could end in time
        assert transport.get_json("/api/v1/app/version")["version"] == "6.14.2"  # outside: unbounded again


@pytest.mark.server
def test_nothing_is_sent_once_the_deadline_passed(invokeai_sandbox) -> None:
    rules = Rules()
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        transport = Transport(proxy.url)
        with deadline(0), pytest.raises(ServerUnavailable, match="not sent, the deadline has passed"):
            transport.get_json("/api/v1/queue/default/status")
        assert rules.seen == []


@pytest.mark.server
def test_a_retry_after_longer_than_the_time_left_is_not_waited_for(invokeai_sandbox) -> None:
    rules = Rules(answer=is_status, answer_times=5, answer_status=503, answer_headers={"Retry-After": "20"})
    with FaultProxy(invokeai_sandbox.url, rules) as proxy:
        transport = Transport(proxy.url, retries=3)
        began = time.monotonic()
        with deadline(3), pytest.raises(ServerUnavailable, match="HTTP 503") as caught:
            transport.get_json("/api/v1/queue/default/status")
        assert time.monotonic() - began < 2 and caught.value.status == 503
        assert rules.answered == 1
