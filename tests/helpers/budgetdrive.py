"""Drive a RequestBudget against the simulator's own limiters on a hand-moved clock (issue 13).

A small driver sends whenever the budget allows (demand always exceeds it) and answers each
request ``LATENCY`` later with the verdict of a real ``jobmonitor.sim.limits`` limiter. No
wall-clock time passes: the clock is moved by hand.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from jobmonitor.core.polling.budget import RequestBudget
from jobmonitor.sim.limits import RateWindow

LATENCY = 0.1
EPOCH = 1_700_000_040.0  # a calendar-minute boundary (28_333_334 * 60)


class Clock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class Run:
    sent: list[float] = field(default_factory=list)
    accepted: list[float] = field(default_factory=list)
    refused: list[float] = field(default_factory=list)  # send times of the 429s

    def accepted_between(self, start: float, end: float) -> int:
        return sum(1 for t in self.accepted if start <= t < end)


def make_budget(clock: Clock, phase: float = 0.0, **kw: int) -> RequestBudget:
    """A budget whose wall clock is ``phase`` s past a minute boundary at clock time 1000."""
    return RequestBudget(clock=clock, wall_clock=lambda: EPOCH + phase + clock.now - 1000.0, **kw)


def drive(
    budget: RequestBudget,
    clock: Clock,
    limiter: RateWindow | None,
    limit: int,
    seconds: float,
    run: Run | None = None,
    phase: float = 0.0,
    retry_after: bool = False,
    latency: Callable[[int], float] = lambda n: LATENCY,
) -> Run:
    """Send greedily for ``seconds``; the limiter decides each request as it answers,
    ``latency(n)`` s after the n-th (0-based) was sent (and, with ``retry_after``, says in a 429
    when the next one would be accepted)."""
    run = run or Run()
    end = clock.now + seconds
    answers: list[tuple[float, float]] = []  # (arrives, sent)
    while clock.now < end:
        wait = budget.delay()
        if wait <= 0:
            budget.record()
            run.sent.append(clock.now)
            heapq.heappush(answers, (clock.now + latency(len(run.sent) - 1), clock.now))
            continue
        budget.held_back()
        clock.now = min(clock.now + wait, answers[0][0] if answers else math.inf, end)
        while answers and answers[0][0] <= clock.now:
            arrives, sent = heapq.heappop(answers)
            wall = EPOCH + phase + arrives - 1000.0
            allowed, _, reset = (
                (True, 0, 0.0) if limiter is None else limiter.take("key", wall, limit)
            )
            if allowed:
                run.accepted.append(sent)
                budget.on_success(sent, arrives)
            else:
                run.refused.append(sent)
                budget.on_rate_limited(sent, reset if retry_after else None, arrives)
    return run


def max_accepted_in_60s(run: Run) -> int:
    times, best, start = run.accepted, 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - 60.0:
            start += 1
        best = max(best, end - start + 1)
    return best
