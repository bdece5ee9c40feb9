"""ApiHealth: when the API counts as unreachable, and what it says about why."""

from __future__ import annotations

from jobmonitor.core.polling.health import UNREACHABLE_AFTER, UNREACHABLE_FAULTS, ApiHealth
from jobmonitor.core.state import ApiCondition


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _evaluate(health: ApiHealth) -> object:
    return health.evaluate(paused=False, has_key=True, blocked_until=0.0, budget=60)


def test_unreachable_says_the_latest_reason_and_changes_only_with_it() -> None:
    clock = Clock()
    health = ApiHealth(clock, clock)
    health.answered(clock.now)
    assert _evaluate(health) is not None and health.status.condition is ApiCondition.ONLINE
    wrong_url = "HTTP 404 ROUTE_NOT_FOUND: no Status API here (check the base URL)"
    for _ in range(UNREACHABLE_FAULTS):
        health.fault(wrong_url)
    clock.now += UNREACHABLE_AFTER
    assert _evaluate(health) is not None
    assert health.status.condition is ApiCondition.UNREACHABLE
    assert health.status.detail == wrong_url  # why, not a count
    for _ in range(5):  # more of the same: no new state (a watch prints one line, not five)
        health.fault(wrong_url)
        assert _evaluate(health) is None
    health.fault("UNREACHABLE: cannot connect")
    changed = _evaluate(health)
    assert changed is not None and health.status.detail == "UNREACHABLE: cannot connect"
    health.answered(clock.now)
    assert _evaluate(health) is not None and health.status.condition is ApiCondition.ONLINE
