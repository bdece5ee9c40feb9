"""PollQueue order and timing rules, without I/O: classes, longest waiting first, stale items."""

from __future__ import annotations

import random
import time

from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.polling.queue import CHECK_NOW, PollQueue, fault_backoff, next_interval
from jobmonitor.core.state import JobState


def drain(queue: PollQueue, now: float, sent: dict[str, float] | None = None) -> list[str]:
    order = []
    queue.promote(now)
    while (entry := queue.peek()) is not None:
        queue.pop()
        order.append(entry.job_id)
        if sent is not None:
            entry.last_sent = sent[entry.job_id]
    return order


def test_new_jobs_in_order_then_check_now_first_and_terminal_ones_never() -> None:
    q = PollQueue()
    for name in ("a", "b", "c"):
        assert q.add(name, JobState.PENDING)
    assert not q.add("a", JobState.PENDING)  # idempotent
    q.add("done", JobState.SUCCESS)
    q.make_ready(q.entries["c"], CHECK_NOW)
    assert drain(q, 0.0) == ["c", "a", "b"]
    assert q.open == {"a", "b", "c"}


def test_due_jobs_go_longest_waiting_first_not_by_due_time() -> None:
    q = PollQueue()
    for name, last_sent, due in (("slow", 0.0, 10.0), ("fast", 5.0, 7.0)):
        q.add(name, JobState.QUEUED)
        q.pop()
        entry = q.entries[name]
        entry.last_sent = last_sent
        q.schedule(entry, due)
    assert drain(q, 6.0) == []
    assert drain(q, 12.0) == ["slow", "fast"]  # "slow" last went out at 0, "fast" at 5


def test_rescheduled_and_removed_entries_leave_no_ghosts() -> None:
    q = PollQueue()
    q.add("a", JobState.PENDING)
    q.add("b", JobState.PENDING)
    q.schedule(q.entries["a"], 5.0)  # supersedes its ready item
    q.remove("b")
    assert drain(q, 1.0) == []
    assert q.next_due() == 5.0
    assert drain(q, 5.0) == ["a"]
    q.settle(q.entries["a"], JobState.FAILED)
    assert q.open == set() and drain(q, 100.0) == []


def test_intervals_follow_hints_and_back_off() -> None:
    q = PollQueue()
    q.add("a", JobState.PENDING)
    entry = q.entries["a"]
    snap = JobSnapshot.from_wire({"status": "queued", "retry_after": 3}, requested_id="a")
    assert next_interval(entry, snap) == 3
    odd = JobSnapshot.from_wire({"status": "paused", "retry_after": 1}, requested_id="a")
    assert [next_interval(entry, odd) for _ in range(4)] == [5, 10, 20, 40]
    rng = random.Random(1)
    ceilings = [2, 4, 8, 16, 32, 64, 120, 120]
    for ceiling in ceilings:
        assert 1.0 <= fault_backoff(entry, rng) <= ceiling
    assert next_interval(entry, snap) == 3 and entry.faults == 0  # an answer resets both


def test_ten_thousand_jobs_are_cheap() -> None:
    q = PollQueue()
    started = time.perf_counter()
    for i in range(10_000):
        q.add(f"job-{i}", JobState.PENDING)
    order = drain(q, 0.0)
    assert len(order) == 10_000 and order[0] == "job-0"
    assert time.perf_counter() - started < 1.0
