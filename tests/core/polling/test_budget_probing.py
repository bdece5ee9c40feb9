"""RequestBudget against the simulator's own limiters on a hand-moved clock (issue 13).

A small driver sends whenever the budget allows (demand always exceeds it) and answers each
request ``LATENCY`` later with the verdict of a real ``jobmonitor.sim.limits`` limiter, so the
budget's probing, its resume after a 429 and its ladder of pauses meet every kind of limit a
server may have. No wall-clock time passes: the clock is moved by hand.
"""

from __future__ import annotations

import itertools

import pytest
from budgetdrive import LATENCY, Clock, drive, make_budget, max_accepted_in_60s

from jobmonitor.core.polling.budget import RequestBudget
from jobmonitor.core.polling.episode import BUCKET, FIXED, PENALTY, SLIDING
from jobmonitor.core.polling.ramp import CEILING, DOUBLING, HELD_GAP, START_PACE
from jobmonitor.sim.limits import make_window


def test_with_nothing_known_the_pace_doubles_while_demand_exceeds_it() -> None:
    clock = Clock()
    budget = make_budget(clock)
    assert budget.limit is None and budget.pacing_limit == START_PACE
    run = drive(budget, clock, None, 0, 15.0)
    assert budget.limit is None
    assert budget.assumed >= START_PACE * 2 ** (12 / DOUBLING)  # doubling while held back
    run = drive(budget, clock, None, 0, 15.0, run)
    assert budget.assumed == CEILING  # ...up to the ceiling, 20 s in
    assert len(run.sent) > START_PACE  # more than the start pace's whole minute, in 30 s
    idle_clock = Clock()
    idle = make_budget(idle_clock)
    idle.held_back()  # one held-back request, then no demand for a minute: a second's growth
    idle_clock.now += 60.0
    idle.held_back()
    assert idle.assumed <= START_PACE * 2 ** (HELD_GAP / DOUBLING) + 1


@pytest.mark.parametrize("limit", [60, 600, 3000])
def test_sliding_window_the_first_429_teaches_the_limit_and_costs_seconds(limit: int) -> None:
    clock = Clock()
    budget = make_budget(clock)
    run = drive(budget, clock, make_window("sliding"), limit, 240.0)
    assert budget.limit is not None and 0.9 * limit <= budget.limit <= limit
    assert budget.kind == SLIDING
    # Found with one burst of 429s (the requests already out when the first came back), a
    # probe or two, and one more when the tentative limit is probed above.
    assert len(run.refused) <= max(5, 0.02 * len(run.sent))
    # From the second minute on the window is used: nearly the limit every minute.
    assert run.accepted_between(run.sent[0] + 120, run.sent[0] + 180) >= 0.85 * limit


def test_after_a_429_it_resumes_when_its_own_count_allows_not_after_a_minute() -> None:
    clock = Clock()
    budget = make_budget(clock, limit=100)  # the user's setting paces the first minute evenly
    limiter = make_window("sliding")
    run = drive(budget, clock, limiter, 100, 90.0)
    budget.set_configured(None)  # forgotten: what is known now comes from the next 429
    budget.set_configured(200)
    run = drive(budget, clock, limiter, 100, 30.0, run)
    first = run.refused[0]
    after = [t for t in run.accepted if t > first]
    assert after and after[0] - first < 2.0  # the next slot of a spread window, not a minute
    assert budget.limit is not None and budget.limit <= 100


def test_requests_after_a_429_wait_for_one_probe() -> None:
    clock = Clock()
    budget = make_budget(clock)
    for _ in range(10):
        budget.record()
        clock.now += 0.5
    refused = clock.now
    budget.record()
    clock.now += LATENCY
    budget.on_rate_limited(refused, None)
    assert budget.learned == 10
    clock.now += 60.0  # the window has emptied: one request, the probe, may go
    assert budget.delay() == 0
    budget.record()
    probe = clock.now
    assert budget.delay() > 0  # the others wait for its answer
    budget.held_back()
    assert budget.learned == 10  # no growth while a probe is out
    clock.now += LATENCY
    budget.on_success(probe)
    assert budget.delay() <= 60.0 / 10 + budget.guard


def wait_allowed(budget: RequestBudget, clock: Clock) -> None:
    while (wait := budget.delay()) > 0:
        clock.now += wait


def test_a_refused_probe_climbs_the_ladder_short_boundary_minute_then_doubling() -> None:
    clock = Clock()
    budget = make_budget(clock, phase=29.9)  # the next boundary is 30 s after the first 429
    for _ in range(20):  # spread over a minute: a sliding window would free a slot at once
        budget.record()
        clock.now += 3.0
    budget.record()
    clock.now += LATENCY
    budget.on_rate_limited(clock.now - LATENCY, None)
    start = clock.now
    assert budget.learned == 19  # answered in the 60 s before it (the first is 60 s old)
    pauses = []
    for _ in range(5):
        wait_allowed(budget, clock)
        budget.record()
        probe = clock.now
        clock.now += LATENCY
        pauses.append(budget.on_rate_limited(probe, None) - start)
    short, boundary, minute, long, longer = pauses
    assert short < 10.0  # a token bucket or jitter: a few request spacings
    assert boundary == pytest.approx(30.0 + budget.guard, abs=0.5)  # a fixed window
    assert minute == pytest.approx(60.0 + budget.guard, abs=0.5)  # a penalty box is over
    assert long - minute == pytest.approx(60.0, abs=1.0)
    assert longer - long == pytest.approx(120.0, abs=1.0)


def test_penalty_box_is_recognised_and_then_avoided() -> None:
    clock = Clock()
    budget = make_budget(clock, phase=50.0)
    run = drive(budget, clock, make_window("penalty"), 600, 300.0, phase=50.0)
    assert budget.kind == PENALTY
    assert budget.limit is not None and budget.limit <= 600
    assert len(run.refused) <= 0.02 * len(run.sent)  # the first breach and its ladder...
    late = [t for t in run.refused if t > run.sent[0] + 150]
    assert late == []  # ...then none: it keeps a margin below what the box allowed


def test_fixed_window_is_recognised_and_each_calendar_minute_is_used() -> None:
    clock = Clock()
    budget = make_budget(clock, phase=20.0, limit=400)  # the user's setting is too high
    run = drive(budget, clock, make_window("fixed"), 300, 300.0, phase=20.0)
    # Spread at 400 a minute, each calendar minute is full after 45 s: a 429, a probe as the
    # count allows refused too, and one at the next boundary answered: a fixed window.
    assert budget.kind == FIXED
    assert budget.limit is not None and 0.9 * 300 <= budget.limit <= 300
    assert len(run.refused) <= 0.02 * len(run.sent)
    minute = 1000.0 + 40.0 + 180.0  # a calendar-minute boundary three minutes in
    assert run.accepted_between(minute, minute + 60) >= 0.9 * 300
    assert not [t for t in run.refused if t > minute]


def test_a_probe_answered_at_a_boundary_with_a_thin_calendar_minute_is_no_fixed_window() -> None:
    clock = Clock()
    budget = make_budget(clock, phase=50.0)  # a boundary 10 s after the sends began
    for _ in range(60):  # a minute of spread requests: only 1 in 6 after the boundary
        budget.record()
        clock.now += 0.2 if clock.now < 1010.0 else 1.0
    refused = clock.now
    budget.record()
    budget.on_rate_limited(refused, None, refused + LATENCY)
    reached_boundary = False
    for _ in range(3):  # the probes are refused until the boundary's probe is answered
        wait_allowed(budget, clock)
        budget.record()
        probe = clock.now
        clock.now += LATENCY
        if budget._episode is not None and budget._episode.stage == FIXED:
            reached_boundary = True
            budget.on_success(probe)
            break
        budget.on_rate_limited(probe, None)
    assert reached_boundary
    assert budget.kind == SLIDING  # not taken for a fixed window of a dozen a minute
    assert budget.limit is not None and budget.limit >= 40


@pytest.mark.parametrize("limit", [60, 300, 1500])
def test_a_token_bucket_is_recognised_and_paced_at_its_rate_without_stalls(limit: int) -> None:
    clock = Clock()
    budget = make_budget(clock)
    run = drive(budget, clock, make_window("bucket"), limit, 240.0)
    # The first 429 came once the burst was spent, long before a minute's worth; the probe a
    # moment later was answered, which no window allows that soon: a bucket. From then on a
    # 429 only means the next token is not there yet.
    assert budget.kind == BUCKET
    assert len(run.refused) <= 0.02 * len(run.sent)
    start = run.sent[0]
    assert run.accepted_between(start + 120, start + 240) >= 0.9 * 2 * limit  # near its rate
    later = [t for t in run.accepted if t > start + 60]
    assert max(b - a for a, b in itertools.pairwise(later)) < 3 * 60 / limit + 1.0


def test_a_probe_answered_after_a_retry_after_is_no_proof_of_a_bucket() -> None:
    # A sliding window's Retry-After points to when its oldest request ages out: the probe
    # then gets through, as a bucket's would, but a window could have freed a slot by then.
    clock = Clock()
    budget = make_budget(clock, phase=55.0)  # the 429 and the probe in one calendar minute
    run = drive(budget, clock, make_window("sliding"), 40, 150.0, phase=55.0, retry_after=True)
    assert budget.kind != BUCKET
    assert budget.limit is not None and budget.limit <= 40
    assert len(run.refused) <= 3


def test_a_short_probe_answered_across_a_calendar_boundary_is_no_proof_of_a_bucket() -> None:
    # A fixed window starts over at the boundary: the early probe may get through there.
    clock = Clock()
    budget = make_budget(clock, phase=55.0)
    drive(budget, clock, make_window("fixed"), 20, 30.0, phase=55.0)
    assert budget.kind != BUCKET


def test_a_given_limit_is_kept_and_never_breached() -> None:
    clock = Clock()
    budget = make_budget(clock, limit=300)
    run = drive(budget, clock, make_window("penalty"), 300, 180.0)
    assert run.refused == [] and budget.limit == 300
    assert max_accepted_in_60s(run) <= 300


def refused_after_a_spread_minute(budget: RequestBudget, clock: Clock) -> None:
    for _ in range(30):
        budget.record()
        clock.now += 2.0
    budget.record()
    budget.on_rate_limited(clock.now, None, clock.now + LATENCY)
    wait_allowed(budget, clock)


def test_a_lost_probe_lets_the_next_request_probe() -> None:
    clock = Clock()
    budget = make_budget(clock)
    refused_after_a_spread_minute(budget, clock)
    budget.record()
    probe = clock.now
    assert budget.delay() > 0
    budget.on_fault(probe)  # no answer (a timeout, a 502): it proved nothing
    wait_allowed(budget, clock)
    budget.record()
    assert budget.delay() > 0  # this one is the probe now
    assert budget.delay() > 60.0 / 30  # ...held back by it, not by the spacing


def test_retry_after_on_a_probe_is_honoured_without_climbing_the_ladder() -> None:
    clock = Clock()
    budget = make_budget(clock)
    refused_after_a_spread_minute(budget, clock)
    budget.record()
    probe = clock.now
    until = budget.on_rate_limited(probe, 3.0, clock.now + LATENCY)
    assert until == pytest.approx(clock.now + LATENCY + 3.0 + budget.guard)
    assert budget.kind == SLIDING
