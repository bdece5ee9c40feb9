"""The "Next check" cell in words: countdowns, and what a due job is waiting for."""

from __future__ import annotations

import pytest

from jobmonitor.core.state import ApiCondition, ApiStatus
from jobmonitor.ui import next_check as nc
from jobmonitor.ui.next_check import describe

NOW = 1_800_000_000.0
ONLINE = ApiStatus(ApiCondition.ONLINE)


@pytest.mark.parametrize(
    ("due", "text"),
    [(NOW + 5, "in 5 s"), (NOW + 0.3, "in 1 s"), (NOW + 125, "in 2 min 05 s"), (NOW, "now")],
)
def test_countdown_until_due(due: float, text: str) -> None:
    assert describe(due, NOW, api=ONLINE).text == text


def test_a_due_job_held_back_says_it_waits_for_the_budget() -> None:
    assert describe(NOW - 0.5, NOW, waited=1.0, api=ONLINE).text == "now"
    held = describe(NOW, NOW, waited=12.0, api=ONLINE, budget=lambda: (6, 6))
    assert held.text == nc.WAITING_FOR_BUDGET
    assert "6 requests in the last minute of 6 allowed" in held.tooltip
    assert "Due since" in held.tooltip
    unknown = describe(NOW, NOW, waited=12.0, api=ONLINE, budget=lambda: (40, None))
    assert "40 requests in the last minute" in unknown.tooltip
    assert "has not said its limit" in unknown.tooltip


def test_paused_key_and_connection_states_win_over_the_countdown() -> None:
    assert describe(NOW - 30, NOW, waited=30, paused=True, api=ONLINE).text == nc.PAUSED
    paused_api = ApiStatus(ApiCondition.PAUSED)
    assert describe(NOW + 5, NOW, api=paused_api).text == nc.PAUSED
    for condition in (ApiCondition.KEY_MISSING, ApiCondition.KEY_REJECTED):
        cell = describe(NOW - 9, NOW, waited=9, api=ApiStatus(condition))
        assert cell.text == nc.NEEDS_KEY and "Settings" in cell.tooltip
    assert describe(None, NOW, attached=False).text == nc.POLLING_OFF
    assert describe(None, NOW, api=ONLINE).text == nc.CHECKING
    unreachable = ApiStatus(ApiCondition.UNREACHABLE)
    assert describe(NOW - 9, NOW, waited=9, api=unreachable).text == nc.WAITING_FOR_SERVER


def test_rate_limit_pause() -> None:
    limited = ApiStatus(ApiCondition.RATE_LIMITED, until=NOW + 42)
    cell = describe(NOW + 42, NOW, api=limited)
    assert cell.text == nc.AFTER_RATE_LIMIT
    assert "rate limit" in cell.tooltip and "0:42" in cell.tooltip
    # A job whose own hint is further away than the pause keeps its countdown.
    assert describe(NOW + 300, NOW, api=limited).text == "in 5 min 00 s"
