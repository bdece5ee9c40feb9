"""The simulator's rate-limit kinds: sliding, fixed calendar minute, token bucket, penalty box."""

from __future__ import annotations

import random

import pytest
from simhelpers import KEY

from jobmonitor.sim import ManualClock, SimWorld
from jobmonitor.sim.limits import WINDOW_KINDS, make_window


def world_of(clock: ManualClock, kind: str, limit: int, **kw: float) -> tuple[SimWorld, str]:
    world = SimWorld(clock=clock, rate_limit=limit, rate_window=kind, **kw)  # type: ignore[arg-type]
    return world, world.add_job(KEY, queued_for=1000)


def ask(world: SimWorld, job: str) -> tuple[int, str | None]:
    answer = world.handle("jobs", KEY, job)
    return answer.status, answer.headers.get("Retry-After")


def test_sliding_window_counts_only_accepted_requests_in_any_60_s(clock: ManualClock) -> None:
    world, job = world_of(clock, "sliding", 5)
    rng = random.Random(4)
    accepted: list[float] = []
    for _ in range(400):
        clock.advance(rng.choice([0.0, 0.5, 2.0, 9.0]))
        if ask(world, job)[0] == 200:
            accepted.append(clock())
    assert all(sum(1 for t in accepted if s - 60 < t <= s) <= 5 for s in accepted)
    assert len(accepted) > 5 * (clock() - accepted[0]) / 60 * 0.5  # refused ones did not count


def test_fixed_window_starts_over_on_each_calendar_minute(clock: ManualClock) -> None:
    clock.set(1_700_000_080.0)  # 20 s before a minute boundary (28_333_335 * 60)
    world, job = world_of(clock, "fixed", 3)
    assert [ask(world, job)[0] for _ in range(3)] == [200, 200, 200]
    assert ask(world, job) == (429, "20")  # until the boundary, not 60 s after the first
    clock.advance(19.5)
    assert ask(world, job)[0] == 429
    clock.advance(0.5)  # the boundary: three more at once, six within 20 s
    assert [ask(world, job)[0] for _ in range(4)] == [200, 200, 200, 429]


def test_token_bucket_refills_at_the_limit_and_holds_its_burst(clock: ManualClock) -> None:
    world, job = world_of(clock, "bucket", 60, bucket_seconds=5.0)  # 1 token/s, 5 held
    assert [ask(world, job)[0] for _ in range(6)] == [200] * 5 + [429]
    assert ask(world, job) == (429, "1")
    clock.advance(1.0)
    assert [ask(world, job)[0] for _ in range(2)] == [200, 429]
    clock.advance(60.0)  # a long idle spell refills only up to the burst
    assert [ask(world, job)[0] for _ in range(6)] == [200] * 5 + [429]


def test_penalty_box_refuses_everything_for_60_s_after_a_breach(clock: ManualClock) -> None:
    world, job = world_of(clock, "penalty", 3)
    assert [ask(world, job)[0] for _ in range(3)] == [200, 200, 200]
    assert ask(world, job) == (429, "60")
    clock.advance(59.0)  # the window itself has room again by now, the box does not
    assert ask(world, job) == (429, "1")
    clock.advance(1.0)  # requests during the box did not extend it
    assert [ask(world, job)[0] for _ in range(4)] == [200, 200, 200, 429]
    assert world.stats.rate_limited == 3


def test_sliding_window_frees_a_slot_60_s_after_each_accepted_request(clock: ManualClock) -> None:
    world, job = world_of(clock, "sliding", 2)
    ask(world, job)
    clock.advance(30)
    ask(world, job)
    assert ask(world, job) == (429, "30")
    clock.advance(30)  # the first left the window: exactly one slot
    assert [ask(world, job)[0] for _ in range(2)] == [200, 429]


def test_kind_may_change_mid_run_and_unknown_kinds_are_refused(clock: ManualClock) -> None:
    world, job = world_of(clock, "sliding", 1)
    assert ask(world, job)[0] == 200
    world.rate_window = "bucket"  # a fresh limiter of the new kind
    assert ask(world, job)[0] == 200
    with pytest.raises(ValueError, match="rate window"):
        make_window("leaky")
    with pytest.raises(ValueError, match="rate window"):
        SimWorld(rate_window="per-hour")
    assert set(WINDOW_KINDS) == {"sliding", "fixed", "bucket", "penalty"}
