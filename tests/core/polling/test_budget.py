"""RequestBudget rules on a hand-moved clock: sliding window, pacing, headers, learning from 429s."""

from __future__ import annotations

import itertools
import random

import pytest

from jobmonitor.api.models import RateLimitInfo
from jobmonitor.core.polling.budget import START_PACE, RequestBudget
from jobmonitor.core.polling.jitter import GUARD_MIN_SAMPLES


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def send_greedily(budget: RequestBudget, clock: Clock, until: float) -> list[float]:
    """Send whenever the budget allows (demand always exceeds it), until ``until``."""
    sent: list[float] = []
    while True:
        wait = budget.delay()
        if wait > 0:
            budget.held_back()
        if clock.now + wait > until:
            return sent
        clock.now += wait
        budget.record()
        sent.append(clock.now)


def max_in_window(times: list[float], window: float = 60.0) -> int:
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_sliding_window_never_exceeded_and_requests_are_spread() -> None:
    clock = Clock()
    budget = RequestBudget(30, clock=clock)
    times = send_greedily(budget, clock, clock.now + 300)
    assert max_in_window(times) <= 30
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 60 / 30 - 1e-9  # no burst: at most one request per window/limit
    # ...and the budget is used: about 30 per minute over five minutes
    assert len(times) >= 5 * 30 - 2


def test_window_holds_even_after_an_idle_spell_and_uneven_sends() -> None:
    clock = Clock()
    budget = RequestBudget(10, clock=clock)
    rng = random.Random(3)
    times: list[float] = []
    for _ in range(400):
        clock.now += rng.choice([0.0, 0.1, 3.0, 20.0])
        wait = budget.delay()
        clock.now += wait
        budget.record()
        times.append(clock.now)
    assert max_in_window(times) <= 10


def test_guard_keeps_a_margin_for_jitter() -> None:
    clock = Clock()
    start = clock.now
    budget = RequestBudget(2, clock=clock, guard=0.5)
    times = send_greedily(budget, clock, start + 100)
    assert times[0] == start
    assert times[2] == pytest.approx(start + 60.5)  # the first left the window, plus the guard


def test_the_guard_follows_the_measured_jitter_of_round_trips() -> None:
    clock = Clock()
    budget = RequestBudget(600, clock=clock, guard=0.3, min_guard=0.02)
    for i in range(GUARD_MIN_SAMPLES - 1):
        budget.on_success(clock.now + i, clock.now + i + 0.1)
    assert budget.guard == 0.3  # too few answers to know the jitter yet
    budget.on_success(clock.now, clock.now + 0.1)
    assert budget.guard == pytest.approx(0.02)  # steady round trips: the floor
    budget.on_success(clock.now, clock.now + 0.25)  # one 150 ms slower than the rest
    assert budget.guard == pytest.approx(0.3)  # twice the spread
    budget.on_rate_limited(clock.now, None, clock.now + 5.0)  # a 429's round trip counts too
    assert budget.guard == 2.0  # bounded


def test_a_remaining_zero_that_our_own_sends_explain_does_not_block_past_them() -> None:
    clock = Clock()
    budget = RequestBudget(None, clock=clock)
    budget.observe(RateLimitInfo(limit=3, remaining=2, reset_after=60))
    times = send_greedily(budget, clock, clock.now + 45)
    assert len(times) == 3
    # The server counted the same three: Reset (whole seconds, rounded up) would wait longer
    # than the window check, which knows when the first one leaves.
    budget.observe(RateLimitInfo(limit=3, remaining=0, reset_after=42.0))
    assert budget.delay() == pytest.approx(times[0] + 60 + budget.guard - clock.now)
    # Another client on the same key: the server counts more than we sent, so Reset holds.
    other = RequestBudget(None, clock=clock)
    other.observe(RateLimitInfo(limit=3, remaining=0, reset_after=42.0))
    assert other.delay() == pytest.approx(42.0 + other.guard)


def test_configured_and_server_limits_take_the_lowest() -> None:
    clock = Clock()
    budget = RequestBudget(100, clock=clock)
    budget.observe(RateLimitInfo(limit=40, remaining=39, reset_after=60))
    assert budget.limit == 40
    budget.set_configured(20)
    assert budget.limit == 20
    budget.set_configured(None)
    assert budget.limit == 40
    # A limit per other window is converted to requests per minute.
    budget.observe(RateLimitInfo(limit=10, window=10.0))
    assert budget.server_limit == 60
    assert budget.limit == 60


def test_remaining_zero_blocks_until_reset() -> None:
    clock = Clock()
    budget = RequestBudget(None, clock=clock)
    budget.observe(RateLimitInfo(limit=100, remaining=0, reset_after=12.0))
    assert budget.delay() == pytest.approx(12.0 + budget.guard)
    clock.now += 13
    assert budget.delay() == 0


def test_429_teaches_the_limit_from_what_was_sent_in_the_last_minute() -> None:
    clock = Clock()
    budget = RequestBudget(None, clock=clock)
    for _ in range(50):
        budget.record()
        clock.now += 0.2
    rejected_at = clock.now
    budget.record()
    clock.now += 0.1  # the answer arrives
    until = budget.on_rate_limited(rejected_at, retry_after=7.0)
    assert budget.learned == 50
    assert budget.limit == 50
    assert until == pytest.approx(clock.now + 7.0 + budget.guard)
    assert budget.delay() >= 7.0
    # A later 429 of the same episode (sent before the first 429 came back) refines, no more.
    budget.on_rate_limited(rejected_at - 0.2, retry_after=7.0)
    assert budget.learned == 49


def test_a_429_under_a_known_limit_lowers_it_further() -> None:
    clock = Clock()
    budget = RequestBudget(20, clock=clock)
    times = send_greedily(budget, clock, clock.now + 120)
    assert max_in_window(times) <= 20
    budget.record()
    sent_at = clock.now
    budget.on_rate_limited(sent_at, retry_after=None)
    assert budget.limit is not None and budget.limit < 20


def test_a_429_without_retry_after_pauses_only_until_the_window_has_room() -> None:
    clock = Clock()
    budget = RequestBudget(None, clock=clock)
    for _ in range(60):  # a minute of spread requests, then one refused
        budget.record()
        clock.now += 1.0
    budget.record()
    until = budget.on_rate_limited(clock.now, None, clock.now + 0.1)
    assert until <= clock.now + 0.1  # no fixed minute's pause: the count decides
    assert budget.limit == 59
    assert 0 < budget.delay() <= 1.0 + budget.guard  # the oldest answered one ages out
    assert budget.used() == 59  # the refused request does not count against the limit


def test_used_counts_the_last_minute_only() -> None:
    clock = Clock()
    budget = RequestBudget(None, clock=clock)
    for _ in range(5):
        budget.record()
        clock.now += 19  # sends at 0, 19, 38, 57, 76; now 95
    assert budget.used() == 3


def test_recall_starts_from_what_an_earlier_session_learned() -> None:
    clock = Clock()
    budget = RequestBudget(clock=clock)
    budget.recall(90, None)
    assert budget.limit == 90 and budget.learned == 90
    assert max_in_window(send_greedily(budget, clock, clock.now + 120)) <= 90  # no 429 to relearn

    assert not budget.tentative  # a limit remembered as settled is not probed above again

    grown = RequestBudget(clock=clock)
    grown.recall(None, int(START_PACE) * 3)
    assert grown.limit is None  # still a probing pace: it keeps growing, a 429 still teaches
    assert grown.pacing_limit == grown.assumed == START_PACE * 3

    low = RequestBudget(clock=clock)
    low.recall(0, int(START_PACE) // 2)  # nothing learned; never below the start pace
    assert low.limit is None and low.assumed == START_PACE


def test_recall_keeps_a_provisional_limit_provisional_and_the_kind_of_limit() -> None:
    clock = Clock()
    provisional = RequestBudget(clock=clock)
    provisional.recall(40, None, True, "sliding")
    assert provisional.tentative and provisional.memory == (40, int(START_PACE), True, "sliding")
    send_greedily(provisional, clock, clock.now + 90)
    assert provisional.limit is not None and provisional.limit > 40  # probed above again

    bucket = RequestBudget(clock=clock)
    bucket.recall(120, None, False, "bucket")
    sent = send_greedily(bucket, clock, clock.now + 10)
    # A remembered token bucket: a bare 429 only means the next token is not there yet (one
    # spacing, the pace cut), never a pause until a window has room.
    until = bucket.on_rate_limited(sent[-1], None, clock.now)
    assert until - clock.now == pytest.approx(60 / 90) and bucket.learned == 90

    odd = RequestBudget(clock=clock)
    odd.recall(None, None, True, "bucket")  # a bucket with no rate is no bucket; nor a limit
    assert odd.kind == "sliding" and not odd.tentative
