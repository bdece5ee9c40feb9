"""A told limit paced like the ideal poller: the pace's grid, and each send's own lateness in the
window's count (issue 13's told rows, on a hand-moved clock)."""

from __future__ import annotations

import asyncio

import pytest
import virtualtime
from schedhelpers import KEY, virtual_harness
from test_budget import Clock, max_in_window, send_greedily

from jobmonitor.core.polling.budget import RequestBudget


def test_a_told_limit_sends_its_whole_window_in_the_first_minute() -> None:
    # The jitter guard belongs to the window's count, not to the spacing: spaced window/limit
    # plus the guard, 600 a minute was 597 in the first minute and lagged more every minute.
    clock = Clock()
    start = clock.now
    budget = RequestBudget(600, clock=clock, guard=0.3)
    times = send_greedily(budget, clock, start + 180)
    assert sum(t < start + 60 for t in times) == 600
    assert max_in_window(times) <= 600
    assert len(times) >= 3 * 600 - 6  # each later minute a guard short (0.3 s: 3 sends)


def test_a_send_a_little_late_keeps_the_pace_grid_so_lateness_does_not_add_up() -> None:
    # A timer fires late (epoll rounds up to a millisecond, a busy loop): 3 ms a send, at 600 a
    # minute, would be 3 % of the pace, and 1.8 s behind the ideal poller after a minute.
    clock = Clock()
    budget = RequestBudget(600, clock=clock, guard=0.3)
    times: list[float] = []
    for _ in range(600):
        clock.now += budget.delay() + 0.003
        budget.record()
        times.append(clock.now)
    assert times[-1] == pytest.approx(times[0] + 599 * 0.1 + 0.003)
    # Nothing was ready for a while: no credit for the idle time beyond half a gap.
    clock.now += 5.0
    budget.record()
    assert budget.delay() == pytest.approx(0.05)


def _answer_all(budget: RequestBudget, clock: Clock, trips: list[float]) -> list[float]:
    """Send ``len(trips)`` requests as the pace allows, each answered after its round trip."""
    sent = []
    for trip in trips:
        clock.now += budget.delay()
        budget.record()
        budget.on_success(clock.now, clock.now + trip)
        sent.append(clock.now)
    return sent


def test_a_request_the_server_held_up_leaves_the_window_late_by_its_own_delay_only() -> None:
    # The first answer of all (a connection's set-up) took 0.5 s, the others 0.1 s: the server
    # may have counted the first 0.4 s late, so it leaves the window 0.4 s late, judged against
    # the fastest round trip seen since (at its own answer it had none to compare with). The
    # others leave it after the floor, not after the guard their spread calls for (0.8 s).
    clock = Clock()
    budget = RequestBudget(10, clock=clock, guard=0.3, min_guard=0.02)
    sent = _answer_all(budget, clock, [0.5] + [0.1] * 9)
    assert budget.guard == pytest.approx(0.8)
    clock.now = sent[-1] + 6.0
    assert budget.delay() == pytest.approx(sent[0] + 60.0 + 0.4 + 0.02 - clock.now)
    clock.now += budget.delay()
    budget.record()
    assert budget.delay() == pytest.approx(sent[1] + 60.0 + 0.02 - clock.now)


def test_a_request_still_out_keeps_the_whole_guard() -> None:
    clock = Clock()
    budget = RequestBudget(3, clock=clock, guard=0.3, min_guard=0.02)
    clock.now += budget.delay()
    budget.record()  # never answered (yet)
    first = clock.now
    _answer_all(budget, clock, [0.1, 0.1])
    clock.now = first + 59.0
    assert budget.delay() == pytest.approx(first + 60.3 - clock.now)


def test_a_told_limit_is_used_like_the_ideal_poller_against_the_real_simulator() -> None:
    # The scheduler, client and simulator as shipped, on virtual time: told 600 a minute by a
    # server whose sliding window is 600, with every job always ready, it sends what the ideal
    # poller does (one request every 0.1 s from the first), and never one too many.
    async def body() -> None:
        async with virtual_harness(rate_limit=600, client_limit=600, max_concurrency=32) as h:
            h.world.faults.latency = 0.1
            jobs = [
                h.world.add_job(KEY, queued_for=0, processing_for=600, retry_after=1)
                for _ in range(40)
            ]
            h.scheduler.watch_many(jobs)
            h.start()
            await asyncio.sleep(125.0)
            times = [hit.at for hit in h.world.log()]
            assert h.world.stats.rate_limited == 0
            assert max_in_window(times) <= 600
            first = times[0]
            # On the ideal's grid to the microsecond: with the guard in the spacing the 600th
            # went 18 ms late, and the lag grew every minute.
            assert times[:600] == pytest.approx([first + k * 0.1 for k in range(600)], abs=1e-6)
            assert sum(t < first + 60 for t in times) == 600
            assert sum(t < first + 120 for t in times) >= 1199  # a floor's shift at 60 s

    virtualtime.run(body())
