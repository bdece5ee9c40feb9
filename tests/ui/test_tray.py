"""The tray: worst-state icon, tooltip counts, coalesced notifications, clicks, menu, no-tray mode."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QSystemTrayIcon
from pytestqt.qtbot import QtBot

from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.notifications import Notification
from jobmonitor.core.settings import Settings
from jobmonitor.core.state import ApiCondition, ApiStatus, JobEvent, JobState
from jobmonitor.ui.tray import TrayController, tooltip_text, worst_of

P, S, F = JobState.PROCESSING, JobState.SUCCESS, JobState.FAILED
ONLINE = ApiStatus(ApiCondition.ONLINE)


def _id(n: int) -> str:
    return f"{n:08x}-1111-4000-8000-000000000000"


def _event(n: int, new: JobState, old: JobState = P) -> JobEvent:
    snapshot = None
    if new is F:
        raw = {"status": "failed", "error": {"code": "INVALID_JSON", "message": "bad"}}
        snapshot = JobSnapshot.from_wire(raw, requested_id=_id(n))
    return JobEvent(_id(n), old, new, 1.0, snapshot=snapshot)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(qsettings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))


@pytest.fixture
def tray(qtbot: QtBot, settings: Settings) -> Iterator[TrayController]:
    # Offscreen Qt has no system tray; force one so the icon, menu and clicks can be checked.
    controller = TrayController(settings, tray_available=True, coalesce_seconds=0.05)
    yield controller
    controller.hide()


@pytest.fixture
def no_tray(qtbot: QtBot, settings: Settings) -> TrayController:
    return TrayController(settings, tray_available=False, coalesce_seconds=0.05)


@pytest.mark.parametrize(
    ("counts", "api", "worst"),
    [
        ({}, ONLINE, None),
        ({S: 3}, ONLINE, S),
        ({S: 3, JobState.QUEUED: 1}, ONLINE, JobState.QUEUED),
        ({S: 3, JobState.QUEUED: 1, P: 2}, ONLINE, P),
        ({S: 3, P: 2}, ApiStatus(ApiCondition.UNREACHABLE), ApiCondition.UNREACHABLE),
        ({P: 2}, ApiStatus(ApiCondition.KEY_REJECTED), ApiCondition.KEY_REJECTED),
        ({P: 2, JobState.NOT_FOUND: 1}, ApiStatus(ApiCondition.UNREACHABLE), JobState.NOT_FOUND),
        ({F: 1, JobState.FORBIDDEN: 1, P: 9}, ApiStatus(ApiCondition.KEY_MISSING), F),
        ({F: 0, S: 1}, ONLINE, S),
    ],
)
def test_worst_state(counts: dict[JobState, int], api: ApiStatus, worst: object) -> None:
    assert worst_of(counts, api) == worst


def test_tooltip_counts() -> None:
    counts = {F: 3, JobState.FORBIDDEN: 1, P: 2, JobState.PENDING: 1, JobState.QUEUED: 4, S: 10}
    text = tooltip_text(counts, ApiStatus(ApiCondition.UNREACHABLE), paused=True)
    assert text.splitlines() == [
        "Job Monitor",
        "3 failed, 1 with a problem, 2 processing, 5 queued, 10 succeeded",
        "Server unreachable",
        "Polling paused",
    ]
    assert tooltip_text({}, ONLINE, paused=False) == "Job Monitor\nNo jobs watched"


def test_icon_and_tooltip_follow_the_list(tray: TrayController) -> None:
    icon = tray.tray_icon
    assert icon is not None and icon.isVisible() and not icon.icon().isNull()
    tray.set_states({S: 2, P: 1})
    assert tray.worst is P and "1 processing, 2 succeeded" in icon.toolTip()
    before = icon.icon().cacheKey()
    tray.set_states({S: 2, F: 1})
    assert tray.worst is F and icon.icon().cacheKey() != before
    tray.set_api_status(ApiStatus(ApiCondition.UNREACHABLE))
    assert tray.worst is F and "Server unreachable" in icon.toolTip()
    tray.set_states({S: 2})
    assert tray.worst is ApiCondition.UNREACHABLE and not icon.icon().isNull()


def test_many_finishing_together_make_one_notification(qtbot: QtBot, tray: TrayController) -> None:
    received: list[Notification] = []
    tray.notified.connect(received.append)
    with qtbot.waitSignal(tray.notified, timeout=2000):
        for n in range(12):
            tray.on_job_event(_event(n, S if n < 9 else F), None)
    assert len(received) == 1
    assert received[0].title == "12 jobs finished"
    assert received[0].message == "9 succeeded, 3 failed"
    # Clicking a summary shows the window rather than one job.
    with qtbot.waitSignal(tray.show_window_requested, timeout=1000):
        tray.tray_icon.messageClicked.emit()  # type: ignore[union-attr]


def test_clicking_a_single_job_notification_opens_it(qtbot: QtBot, tray: TrayController) -> None:
    with qtbot.waitSignal(tray.notified, timeout=2000) as shown:
        tray.on_job_event(_event(7, F), "monthly invoices")
    assert shown.args[0].title == "Job failed"
    assert "monthly invoices" in shown.args[0].message
    with qtbot.waitSignal(tray.job_activated, timeout=1000) as activated:
        tray.tray_icon.messageClicked.emit()  # type: ignore[union-attr]
    assert activated.args == [_id(7)]


def test_settings_turn_kinds_off(qtbot: QtBot, tray: TrayController, settings: Settings) -> None:
    settings.notify_success = False
    with qtbot.assertNotEmitted(tray.notified, wait=150):
        tray.on_job_event(_event(1, S), None)
    settings.notify_failure = False
    with qtbot.assertNotEmitted(tray.notified, wait=150):
        tray.on_job_event(_event(2, F), None)
    settings.notify_failure = True
    with qtbot.waitSignal(tray.notified, timeout=2000) as shown:
        tray.on_job_event(_event(3, F), None)
        tray.on_job_event(_event(4, S), None)
    assert shown.args[0].job_ids == (_id(3),)


def test_not_news_makes_no_notification(qtbot: QtBot, tray: TrayController) -> None:
    with qtbot.assertNotEmitted(tray.notified, wait=150):
        tray.on_job_event(_event(1, P, old=JobState.QUEUED), None)
        tray.on_job_event(_event(2, S, old=S), None)
        tray.on_job_event(_event(3, S, old=JobState.PENDING), None)


def test_menu_actions(qtbot: QtBot, tray: TrayController) -> None:
    menu = tray.menu
    assert menu is not None
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert set(actions) == {"&Show Job Monitor", "&Pause polling", "&Quit"}
    with qtbot.waitSignal(tray.show_window_requested, timeout=1000):
        actions["&Show Job Monitor"].trigger()
    with qtbot.waitSignal(tray.pause_toggled, timeout=1000) as paused:
        actions["&Pause polling"].trigger()
    assert paused.args == [True]
    tray.set_paused(True)
    assert actions["&Pause polling"].text() == "&Resume polling"
    assert "Polling paused" in tray.tooltip
    with qtbot.waitSignal(tray.pause_toggled, timeout=1000) as resumed:
        actions["&Pause polling"].trigger()
    assert resumed.args == [False]
    with qtbot.waitSignal(tray.quit_requested, timeout=1000):
        actions["&Quit"].trigger()


def test_clicking_the_icon_shows_the_window(qtbot: QtBot, tray: TrayController) -> None:
    with qtbot.waitSignal(tray.show_window_requested, timeout=1000):
        tray.tray_icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)  # type: ignore[union-attr]
    with qtbot.assertNotEmitted(tray.show_window_requested):
        tray.tray_icon.activated.emit(QSystemTrayIcon.ActivationReason.Context)  # type: ignore[union-attr]


def test_without_a_tray_nothing_shows_and_nothing_breaks(
    qtbot: QtBot, no_tray: TrayController
) -> None:
    assert not no_tray.available and no_tray.tray_icon is None and no_tray.menu is None
    no_tray.set_states({F: 1, S: 2})
    no_tray.set_api_status(ApiStatus(ApiCondition.RATE_LIMITED, until=5.0))
    no_tray.set_paused(True)
    assert no_tray.worst is F
    with qtbot.waitSignal(no_tray.notified, timeout=2000):
        no_tray.on_job_event(_event(1, S), None)
    no_tray.hide()


def test_default_follows_the_platform(qtbot: QtBot, settings: Settings) -> None:
    controller = TrayController(settings)
    assert controller.available == QSystemTrayIcon.isSystemTrayAvailable()
    controller.hide()
