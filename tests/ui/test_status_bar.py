"""The connection widget: text for every API condition, the live countdown, budget, Settings link."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import ApiCondition, ApiStatus
from jobmonitor.ui.status_bar import ConnectionStatusWidget, format_countdown

NOW = datetime(2024, 5, 1, 14, 2, 30).timestamp()  # local time


class FakeClock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def widget(qtbot: QtBot, clock: FakeClock) -> ConnectionStatusWidget:
    w = ConnectionStatusWidget(clock=clock)
    qtbot.addWidget(w)
    w.show()
    return w


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (ApiStatus(ApiCondition.IDLE), "Not connected yet"),
        (ApiStatus(ApiCondition.ONLINE, since=NOW - 5), "Online"),
        (ApiStatus(ApiCondition.UNREACHABLE, since=NOW - 90), "Server unreachable since 14:01"),
        (ApiStatus(ApiCondition.UNREACHABLE, since=NOW - 86400), "Server unreachable since 30 Apr"),
        (ApiStatus(ApiCondition.KEY_MISSING), "API key missing — open Settings"),
        (ApiStatus(ApiCondition.KEY_REJECTED), "API key rejected — open Settings"),
        (ApiStatus(ApiCondition.RATE_LIMITED, until=NOW + 42), "Rate limited — resuming in 0:42"),
        (ApiStatus(ApiCondition.RATE_LIMITED), "Rate limited — backing off"),
        (ApiStatus(ApiCondition.PAUSED), "Polling paused"),
    ],
)
def test_text_for_each_condition(
    widget: ConnectionStatusWidget, status: ApiStatus, text: str
) -> None:
    widget.set_api_status(status)
    assert widget.status_text.startswith(text)
    names = {child.accessibleName() for child in widget.findChildren(QLabel)}
    assert {"Connection state", "Connection state icon", "Request budget"} <= names


def test_detail_goes_to_the_tooltip(widget: ConnectionStatusWidget) -> None:
    widget.set_api_status(ApiStatus(ApiCondition.UNREACHABLE, since=NOW, detail="cannot connect"))
    labels = [c for c in widget.findChildren(QLabel) if c.accessibleName() == "Connection state"]
    assert labels[0].toolTip() == "cannot connect"


def test_countdown_ticks_live_and_stops(
    qtbot: QtBot, widget: ConnectionStatusWidget, clock: FakeClock
) -> None:
    widget.set_api_status(ApiStatus(ApiCondition.RATE_LIMITED, until=NOW + 42))
    assert widget.counting_down
    clock.now += 2
    qtbot.waitUntil(lambda: widget.status_text.endswith("0:40"), timeout=3000)  # the 1 s ticker
    clock.now += 40
    widget.refresh()
    assert widget.status_text == "Rate limited — resuming now"
    widget.set_api_status(ApiStatus(ApiCondition.ONLINE))
    assert not widget.counting_down


def test_countdown_format() -> None:
    assert format_countdown(42) == "0:42"
    assert format_countdown(41.2) == "0:42"
    assert format_countdown(725) == "12:05"
    assert format_countdown(3723) == "1:02:03"
    assert format_countdown(-5) == "0:00"


def test_budget(widget: ConnectionStatusWidget) -> None:
    widget.set_budget(12, 60)
    assert widget.budget_label_text == "12 of 60 requests in the last minute"
    widget.set_budget(7, None)
    assert widget.budget_label_text == "7 requests in the last minute (limit unknown)"
    widget.set_budget(1, None)
    assert widget.budget_label_text == "1 request in the last minute (limit unknown)"


@pytest.mark.parametrize(
    "condition", [ApiCondition.KEY_MISSING, ApiCondition.KEY_REJECTED, ApiCondition.UNREACHABLE]
)
def test_clicking_a_problem_settings_can_fix_opens_them(
    qtbot: QtBot, widget: ConnectionStatusWidget, condition: ApiCondition
) -> None:
    widget.set_api_status(ApiStatus(condition))
    text = next(c for c in widget.findChildren(QLabel) if c.accessibleName() == "Connection state")
    with qtbot.waitSignal(widget.settings_requested, timeout=2000):
        qtbot.mouseClick(text, Qt.MouseButton.LeftButton, pos=QPoint(8, text.height() // 2))


def test_no_link_when_the_key_is_fine(qtbot: QtBot, widget: ConnectionStatusWidget) -> None:
    widget.set_api_status(ApiStatus(ApiCondition.ONLINE))
    text = next(c for c in widget.findChildren(QLabel) if c.accessibleName() == "Connection state")
    assert "<a" not in text.text()
    with qtbot.assertNotEmitted(widget.settings_requested):
        qtbot.mouseClick(text, Qt.MouseButton.LeftButton, pos=QPoint(8, text.height() // 2))
