"""through_gate tells the request budget when each request went and when its answer came, as the
scheduler's polls do, so a budget that only submissions use measures its jitter guard too."""

from __future__ import annotations

import asyncio

import pytest

from jobmonitor.api.errors import Unreachable
from jobmonitor.core.polling.budget import RequestBudget
from jobmonitor.core.polling.jitter import DEFAULT_GUARD, GUARD_MIN_SAMPLES, MIN_GUARD
from jobmonitor.core.submit import through_gate


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_answers_through_the_gate_measure_the_budgets_jitter_guard() -> None:
    clock = Clock()
    budget = RequestBudget(600, clock=clock)

    async def call() -> str:
        clock.now += 0.1  # every round trip 100 ms: no jitter at all
        return "ok"

    async def body() -> None:
        for _ in range(GUARD_MIN_SAMPLES):
            clock.now += budget.delay()
            assert await through_gate(budget, call, clock=clock) == "ok"

    assert budget.guard == DEFAULT_GUARD
    asyncio.run(body())
    assert budget.guard == MIN_GUARD  # measured: the spread of equal round trips is nothing


def test_a_request_lost_through_the_gate_ends_the_budgets_probe() -> None:
    clock = Clock()
    budget = RequestBudget(clock=clock)
    for _ in range(30):  # a minute of requests, then a 429: the next request is a probe
        budget.record()
        clock.now += 2.0
    budget.record()
    budget.on_rate_limited(clock.now, None, clock.now + 0.1)
    clock.now += budget.delay()

    async def lost() -> str:
        clock.now += 0.1
        raise Unreachable("connection reset")

    async def body() -> None:
        with pytest.raises(Unreachable):
            await through_gate(budget, lost, clock=clock)

    asyncio.run(body())
    # The probe got no answer: the next request probes again at once, not after the probe's
    # timeout (10 s) had held everything back.
    assert budget.delay() < 5.0
