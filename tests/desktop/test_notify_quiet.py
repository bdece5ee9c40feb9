"""Do Not Disturb where notifications fall back to the tray's balloon: only a rejected key
gets through while the desktop says not now (a notification centre decides that itself)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from jobmonitor.core.alerts import AlertKind, AlertTracker
from jobmonitor.core.notifications import Finished, summarize
from jobmonitor.core.quiet import (
    QUNS_ACCEPTS_NOTIFICATIONS,
    QUNS_BUSY,
    QUNS_NOT_PRESENT,
    QUNS_PRESENTATION_MODE,
    QUNS_QUIET_TIME,
    state_is_quiet,
    system_quiet,
)
from jobmonitor.core.state import ApiCondition, ApiStatus, JobState
from jobmonitor.desktop.notify import DesktopNotifier

JOB = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"


def test_while_quiet_the_balloon_says_only_that_the_key_was_rejected(qtbot: QtBot) -> None:
    balloons: list[tuple[str, str, bool]] = []
    quiet = [True]
    notifier = DesktopNotifier(
        lambda title, text, warning: balloons.append((title, text, warning)),
        use_service=False,
        quiet=lambda: quiet[0],
    )
    held: list[str] = []
    notifier.held_back.connect(lambda title, _text: held.append(title))
    tracker = AlertTracker(unreachable_after=60)

    notifier.notify_jobs(summarize([Finished(JOB, "report", JobState.SUCCESS)]))
    outage = tracker.on_api_status(ApiStatus(ApiCondition.UNREACHABLE, since=100.0), 700.0)
    assert outage is not None and not outage.urgent
    notifier.notify_alert(outage)
    assert balloons == [] and held == ["Job succeeded", outage.title]

    rejected = tracker.on_api_status(ApiStatus(ApiCondition.KEY_REJECTED), 800.0)
    assert rejected is not None and rejected.kind is AlertKind.KEY_REJECTED
    notifier.notify_alert(rejected)
    assert balloons == [(rejected.title, rejected.message, True)]  # through Do Not Disturb

    quiet[0] = False  # asked at each balloon: the state changes all the time
    notifier.notify_jobs(summarize([Finished(JOB, "report", JobState.FAILED, "INVALID_JSON")]))
    assert len(balloons) == 2 and balloons[1][2]  # a failure: the warning icon


@pytest.mark.parametrize(
    ("state", "quiet"),
    [
        (QUNS_ACCEPTS_NOTIFICATIONS, False),
        (QUNS_NOT_PRESENT, False),  # locked: Windows keeps it for when the user is back
        (QUNS_BUSY, True),
        (QUNS_PRESENTATION_MODE, True),
        (QUNS_QUIET_TIME, True),
        (None, False),  # could not ask: show it
    ],
)
def test_windows_notification_states(state: int | None, quiet: bool) -> None:
    assert state_is_quiet(state) is quiet


def test_only_windows_has_a_state_to_ask_for_the_balloon() -> None:
    # macOS shows Qt's balloon through its own centre, Linux through the freedesktop server
    # (or, on an XEmbed tray with no server, has no Do Not Disturb to read).
    assert system_quiet("win32") is not system_quiet("linux")
    assert system_quiet("linux")() is False and system_quiet("darwin")() is False
