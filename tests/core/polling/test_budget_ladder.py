"""The request budget's first minute told nothing (issue 13): the ramp, and which pause after a
429 is tried first, against the simulator's own limiters on a hand-moved clock (budgetdrive)."""

from __future__ import annotations

from budgetdrive import Clock, drive, make_budget

from jobmonitor.core.polling.episode import BUCKET, FIXED, SLIDING
from jobmonitor.core.polling.ramp import ABOVE_SHARE, CEILING
from jobmonitor.sim.limits import make_window


def test_above_the_ceiling_the_pace_grows_only_with_what_the_window_answered() -> None:
    clock = Clock()
    budget = make_budget(clock)
    drive(budget, clock, None, 0, 21.0)
    assert budget.assumed == CEILING  # 20 s of demand: at the ceiling already
    for _ in range(8):  # then never more than a share above the trailing minute's answers
        drive(budget, clock, None, 0, 5.0)
        assert budget.assumed <= max(CEILING, ABOVE_SHARE * budget.used()) + 1
    assert budget.assumed > CEILING  # ...but above it: a generous server is probed further


def test_a_fixed_window_spent_early_in_its_minute_is_probed_at_the_boundary() -> None:
    # The count fills 300 about 19 s in; the calendar minute ends 20 s later, long before the
    # sliding count would have room (a minute after the first send).
    clock = Clock()
    budget = make_budget(clock, phase=20.0)
    run = drive(budget, clock, make_window("fixed"), 300, 45.0, phase=20.0)
    boundary = 1000.0 + 40.0
    first = run.refused[0]
    assert first < boundary - 15
    after = [t for t in run.accepted if t > first]
    assert after and boundary <= after[0] <= boundary + 1.0  # resumed at the boundary...
    assert budget.kind == FIXED  # ...which the answered probe revealed
    assert budget.limit is not None and 0.9 * 300 <= budget.limit <= 300


def test_a_sliding_window_refuses_the_boundary_probe_and_is_not_taken_for_fixed() -> None:
    clock = Clock()
    budget = make_budget(clock, phase=20.0)
    run = drive(budget, clock, make_window("sliding"), 300, 90.0, phase=20.0)
    assert budget.kind != FIXED
    first = run.refused[0]
    after = [t for t in run.accepted if t > first]
    assert after and run.sent[0] + 60 <= after[0] <= run.sent[0] + 61  # when the first aged out
    assert len(run.refused) <= 8  # the burst out at the first 429, the short and boundary probes


def test_a_bucket_whose_short_probe_straddles_a_boundary_is_still_found() -> None:
    # The first 429 comes a moment before a calendar boundary, so the early probe is answered
    # after it: a fixed window could have started over. Taken for one (and probed above
    # later), the next 429's early probe asks again and finds the bucket.
    for phase in (50.0, 56.5, 57.0):
        clock = Clock()
        budget = make_budget(clock, phase=phase)
        run = drive(budget, clock, make_window("bucket"), 120, 300.0, phase=phase)
        assert budget.kind == BUCKET, phase
        start = run.sent[0]
        assert run.accepted_between(start + 180, start + 300) >= 0.9 * 2 * 120


def test_the_probe_after_a_429_counts_the_window_from_answers_a_server_may_count_late() -> None:
    # The server counts a request as it answers it, and the first requests of the run waited
    # long in its queue (1.5 s). Their sends plus the jitter guard (measured on the latest
    # round trips, all quick by then) say the window frees a second too early: a probe then
    # was refused, and the next pause was a penalty box's.
    clock = Clock()
    budget = make_budget(clock, phase=59.0)  # no calendar boundary before the window frees
    run = drive(
        budget,
        clock,
        make_window("sliding"),
        200,
        120.0,
        phase=59.0,
        latency=lambda n: 1.5 if n < 5 else 0.1,
    )
    assert budget.kind == SLIDING
    first = run.refused[0]
    after = [t for t in run.accepted if t > first]
    assert after and after[0] <= run.sent[0] + 60 + 1.5 + 0.5  # resumed as the window freed
