"""Notifications through the desktop's service (a fake org.freedesktop.Notifications on the
tests' private bus), with no tray: summaries, folding a later burst in, actions, alerts while
hidden, and saving a result as soon as its job succeeds."""
# ruff: noqa: F811  (the fixtures come from the helpers by import, not from a conftest)

from __future__ import annotations

from guihelpers import KEY, AppFactory, make_app, qloop, sim, world  # noqa: F401
from notifyfake import FakeNotifications, fake_notifications  # noqa: F401
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from jobmonitor import APP_ID
from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.core.state import JobState
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.settings_dialog import SettingsDialog

# A job is news only when the app saw it running first: each stays "processing" until the test
# has seen the app show it so, and then finishes (no guess of how slow a loaded machine is).
RUNNING = {"queued_for": 0, "processing_for": 3600, "retry_after": 0.2}


def _finish_once_seen(qtbot: QtBot, app: object, world: SimWorld, *job_ids: str) -> None:
    def running(job_id: str) -> bool:
        job = app.watchlist.get(job_id)  # type: ignore[attr-defined]
        return job is not None and job.state is JobState.PROCESSING

    qtbot.waitUntil(lambda: all(running(j) for j in job_ids), timeout=15000)
    for job_id in job_ids:
        world.finish_now(job_id)


def _notified(qtbot: QtBot, fake: FakeNotifications, n: int) -> list[list[object]]:
    qtbot.waitUntil(lambda: len(fake.calls()) >= n, timeout=15000)
    return fake.calls()


def _click(qtbot: QtBot, app: object, fake: FakeNotifications, nid: int, action: str) -> None:
    """As the user would: once the app has the server's id (its answer to Notify) in hand."""
    qtbot.waitUntil(lambda: nid in app.notifier.shown_ids, timeout=10000)  # type: ignore[attr-defined]
    fake.invoke(nid, action)


def test_finished_jobs_are_one_summary_and_a_later_burst_folds_into_it(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, fake_notifications: FakeNotifications
) -> None:
    first = world.add_job(KEY, **RUNNING)
    app = make_app(add_text=first, notify_service=True)
    qtbot.waitUntil(lambda: app.notifier.via_service, timeout=10000)
    _finish_once_seen(qtbot, app, world, first)
    (note,) = _notified(qtbot, fake_notifications, 1)
    _app, replaces, icon, summary, _body, actions, hints, _t = note
    assert (replaces, summary, icon) == (0, "Job succeeded", APP_ID)
    assert actions == ["default", "Open", "download", "Download"]
    assert hints["desktop-entry"] == APP_ID and hints["urgency"] == 1  # type: ignore[index]

    later = [world.add_job(KEY, **RUNNING) for _ in range(2)]
    app.window.adder.add_text(" ".join(later))
    _finish_once_seen(qtbot, app, world, *later)
    calls = _notified(qtbot, fake_notifications, 2)
    assert len(calls) == 2
    assert calls[1][1] == 1  # replaces the first one's id: not a second bubble
    assert calls[1][3] == "3 jobs succeeded"  # all three, the first one folded in
    assert calls[1][5] == ["default", "Open"]

    # Clicking it shows the window; dismissing it lets the next burst be a new one.
    _click(qtbot, app, fake_notifications, 1, "default")
    qtbot.waitUntil(app.window.isVisible)


def test_actions_download_a_success_and_copy_a_failures_report(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, fake_notifications: FakeNotifications
) -> None:
    done = world.add_job(KEY, **RUNNING, file_name="r.csv", file_size=1000)
    app = make_app(add_text=done, notify_service=True)
    _finish_once_seen(qtbot, app, world, done)
    _notified(qtbot, fake_notifications, 1)
    _click(qtbot, app, fake_notifications, 1, "download")
    assert app.downloads is not None
    qtbot.waitUntil(
        lambda: (d := app.downloads.get(done)) is not None and d.state is DownloadState.DONE,  # type: ignore[union-attr]
        timeout=15000,
    )
    assert app.window.current_job() is not None
    assert app.window.current_job().job_id == done  # type: ignore[union-attr]

    qtbot.waitUntil(lambda: 1 in app.notifier.shown_ids, timeout=10000)
    fake_notifications.dismiss(1)
    qtbot.waitUntil(lambda: not app.notifier.summary_on_screen, timeout=10000)
    failed = world.add_job(KEY, **RUNNING, outcome="failed")
    app.window.adder.add_text(failed)
    _finish_once_seen(qtbot, app, world, failed)
    calls = _notified(qtbot, fake_notifications, 2)
    assert calls[1][1] == 0 and calls[1][3] == "Job failed"  # the first was dismissed: a new one
    assert calls[1][5] == ["default", "Open", "copy-report", "Copy report"]
    assert calls[1][6]["category"] == "transfer.error"  # type: ignore[index]
    _click(qtbot, app, fake_notifications, 2, "copy-report")
    qtbot.waitUntil(lambda: failed in QGuiApplication.clipboard().text(), timeout=10000)
    assert "INVALID_JSON" in QGuiApplication.clipboard().text()


def test_a_rejected_key_is_urgent_while_hidden_and_opens_settings(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, fake_notifications: FakeNotifications
) -> None:
    job = world.add_job(KEY)
    app = make_app(key="not-a-key-of-this-world-0000", start=False, notify_service=True)
    app.start(add_text=job)
    app.window.hide()  # in the tray (or minimised elsewhere): only then is it news
    (note,) = _notified(qtbot, fake_notifications, 1)
    assert note[3] == "API key rejected"
    assert note[6]["urgency"] == 2  # type: ignore[index]  # through Do Not Disturb
    assert note[5] == ["default", "Open", "settings", "Open Settings"]
    _click(qtbot, app, fake_notifications, 1, "settings")
    qtbot.waitUntil(app.window.isVisible, timeout=10000)
    qtbot.waitUntil(lambda: app.window.findChild(SettingsDialog) is not None, timeout=10000)


def test_stuck_jobs_are_told_once_while_hidden(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, fake_notifications: FakeNotifications
) -> None:
    slow = world.add_job(KEY, queued_for=3600, retry_after=0.2)
    app = make_app(add_text=slow, notify_service=True)
    qtbot.waitUntil(lambda: app.watchlist.get(slow).state is JobState.QUEUED, timeout=10000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: app.notifier.via_service, timeout=10000)
    app.settings.stuck_after_hours = 1e-6  # anything unchanged for a moment is "stuck"
    app.alerts.check()
    assert fake_notifications.calls() == []  # the window is open: the table shows it
    app.window.hide()
    app.alerts.check()
    (note,) = _notified(qtbot, fake_notifications, 1)
    assert note[3] == "Job looks stuck" and "queued" in str(note[4])
    app.alerts.check()
    app.alerts.check()
    assert len(fake_notifications.calls()) == 1


def test_results_are_saved_as_soon_as_jobs_succeed_when_asked(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    done = world.add_job(KEY, **RUNNING, file_name="a.csv", file_size=500)
    app = make_app(start=False)
    app.settings.auto_download = True
    app.start(add_text=done)
    _finish_once_seen(qtbot, app, world, done)
    qtbot.waitUntil(
        lambda: (d := app.downloads.get(done)) is not None and d.state is DownloadState.DONE,  # type: ignore[union-attr]
        timeout=15000,
    )
