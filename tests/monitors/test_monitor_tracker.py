"""The tracker every backend feeds: which observations are news (no server needed)."""

from __future__ import annotations

import threading

import pytest

from invokekit.errors import JobTimeout
from invokekit.monitors import StatusUpdate
from invokekit.monitors._tracker import Backoff, Deadline, Tracker


def _u(item: int, status: str, seq: int | None = None, **kw) -> StatusUpdate:
    return StatusUpdate(item_id=item, status=status, backend="test", status_sequence=seq, **kw)


def test_only_changes_are_emitted_and_terminal_is_final():
    seen: list[tuple[int, str]] = []
    tracker = Tracker([1, 2, 1], lambda u: seen.append((u.item_id, u.status)))
    assert tracker.item_ids == [1, 2]
    assert tracker.observe(_u(1, "pending"))
    assert not tracker.observe(_u(1, "pending"))  # same status: not news
    assert tracker.observe(_u(1, "in_progress"))
    assert not tracker.observe(_u(1, "pending"))  # a stale poll never goes back
    assert tracker.observe(_u(1, "completed"))
    assert not tracker.observe(_u(1, "in_progress"))
    assert not tracker.observe(_u(1, "failed"))  # terminal is final
    assert not tracker.observe(_u(3, "completed"))  # not watched
    assert seen == [(1, "pending"), (1, "in_progress"), (1, "completed")]
    assert tracker.pending() == [2] and not tracker.done()


def test_status_sequence_orders_in_progress_and_waiting():
    tracker = Tracker([1])
    assert tracker.observe(_u(1, "waiting", seq=3))
    assert not tracker.observe(_u(1, "in_progress", seq=2))  # older
    assert tracker.observe(_u(1, "in_progress", seq=4))


def test_progress_updates_are_news_while_running():
    tracker = Tracker([1])
    tracker.observe(_u(1, "in_progress"))
    assert tracker.observe(_u(1, "in_progress", progress=0.5, message="Denoising"))
    assert tracker.observe(_u(1, "in_progress", progress=0.75))


def test_a_callback_error_in_another_thread_reaches_the_waiting_thread():
    def boom(_u: StatusUpdate) -> None:
        raise ValueError("callback broke")

    tracker = Tracker([1], boom)
    worker = threading.Thread(target=tracker.observe, args=(_u(1, "completed"),))
    worker.start()
    worker.join()
    with pytest.raises(ValueError, match="callback broke"):
        tracker.raise_callback_error()
    with pytest.raises(ValueError, match="callback broke"):  # in the watching thread it raises at once
        Tracker([2], boom).observe(_u(2, "completed"))


def test_wait_for_change_does_not_sleep_through_a_change_it_was_about_to_wait_for():
    tracker = Tracker([1])
    version = tracker.version
    tracker.observe(_u(1, "completed"))
    tracker.wait_for_change(60, since=version)  # returns at once: the change came after `version`


def test_deadline_names_unfinished_items():
    tracker = Tracker([1, 2])
    tracker.observe(_u(1, "completed"))
    tracker.observe(_u(2, "in_progress"))
    with pytest.raises(JobTimeout, match=r"1 of 2 queue item\(s\) not finished after 0 s: 2 \(in_progress\)"):
        Deadline(0).check(tracker)
    Deadline(None).check(tracker)


def test_backoff_resets_on_change():
    backoff = Backoff(0.01, 0.05, 2)
    assert [backoff.next(False) for _ in range(4)] == [0.02, 0.04, 0.05, 0.05]
    assert backoff.next(True) == 0.01


def test_progress_reaches_the_callback_without_waking_the_waiting_loop():
    seen: list[float | None] = []
    tracker = Tracker([1], lambda u: seen.append(u.progress))
    tracker.observe(_u(1, "in_progress"))
    version = tracker.version
    assert tracker.observe(_u(1, "in_progress", progress=0.5))  # news for the callback
    assert seen == [None, 0.5] and tracker.version == version  # but nothing a waiting loop acts on
    tracker.observe(_u(1, "completed"))
    assert tracker.version == version + 1
