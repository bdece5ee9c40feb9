"""The desktop app's state across restarts, a corrupt database, demo mode, and the packaging contract."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import JobState
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui.jobs_model import Category
from jobmonitor.ui.settings_dialog import SettingsDialog


def test_restore_after_restart(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: Path
) -> None:
    done = world.add_job(KEY, queued_for=0, processing_for=0)
    failed = world.add_job(KEY, queued_for=0, processing_for=0.3, retry_after=1, outcome="failed")
    waiting = world.add_job(KEY, queued_for=600, processing_for=1, retry_after=1)
    app = make_app(add_text=f"{done} {failed} {waiting}")
    app.watchlist.set_label(failed, "invoices")
    qtbot.waitUntil(
        lambda: (
            [j.state for j in app.watchlist.jobs()]
            == [JobState.SUCCESS, JobState.FAILED, JobState.QUEUED]
        ),
        timeout=10000,
    )
    before = {j.job_id: j for j in app.watchlist.jobs()}
    history = app.watchlist.history(failed)
    close(qtbot, app)

    world.reset_stats()
    again = make_app(add_text="")
    window = again.window
    assert window.model.job_ids() == [done, failed, waiting]
    restored = {j.job_id: j for j in again.watchlist.jobs()}
    for job_id, job in before.items():
        assert restored[job_id].state is job.state
        assert restored[job_id].snapshot == job.snapshot
    assert restored[failed].label == "invoices"
    qtbot.waitUntil(lambda: again.watchlist.history_complete)  # read while the window shows
    assert again.watchlist.history(failed) == history
    assert history[0].state is JobState.PENDING and history[-1].state is JobState.FAILED
    scheduler = again.session.scheduler  # type: ignore[union-attr]
    assert scheduler.next_due(done) is None and scheduler.next_due(failed) is None
    fresh = world.add_job(KEY, queued_for=0, processing_for=0)
    again.window.adder.add_text(fresh)
    qtbot.waitUntil(lambda: again.watchlist.get(fresh).state is JobState.SUCCESS, timeout=10000)  # type: ignore[union-attr]
    # Only the open jobs were asked about: the fresh one, and the one still queued.
    assert world.stats.requests <= 3
    assert world.stats.by_status[200] >= 1


def test_corrupt_database_is_set_aside_with_a_message(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "jobs.db").write_bytes(b"garbage, not SQLite " * 200)
    app = make_app(data_dir=data)
    notice = app.window.notice
    assert notice.isVisible()
    assert "could not be read" in notice.text.text() and "jobs.db.corrupt-" in notice.text.text()
    assert list(data.glob("jobs.db.corrupt-*"))
    job = world.add_job(KEY, queued_for=0, processing_for=0)
    app.window.adder.add_text(job)
    qtbot.waitUntil(lambda: [j.job_id for j in app.store.load_jobs()] == [job])


def test_missing_key_pauses_polling_and_says_so(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=0)
    world.reset_stats()
    app = make_app(add_text=job, key=None)
    qtbot.waitUntil(lambda: "key" in app.status.status_text.lower(), timeout=5000)
    assert world.stats.requests == 0


def test_demo_shows_every_state_within_seconds(
    qtbot: QtBot, make_app: AppFactory, tmp_path: Path
) -> None:
    from jobmonitor.desktop.demo import start_demo

    server, demo = start_demo()
    try:
        app = make_app(demo=demo, data_dir=tmp_path / "demo", key=None)
        counts = app.window.model.counts
        every = {
            JobState.QUEUED,
            JobState.PROCESSING,
            JobState.SUCCESS,
            JobState.FAILED,
            JobState.UNKNOWN,
            JobState.FORBIDDEN,
            JobState.NOT_FOUND,
        }
        qtbot.waitUntil(lambda: every <= {j.state for j in app.watchlist.jobs()}, timeout=8000)
        assert all(counts[c] > 0 for c in Category)
        assert app.window.windowTitle() == "Demo — Job Monitor"  # Qt adds no second name
        assert app.credentials.get_sync(app.session.origin).key == demo.key  # type: ignore[union-attr]
        app.open_settings()  # the demo's key is no cause for a warning
        dialogs = app.window.findChildren(SettingsDialog)
        assert len(dialogs) == 1
        qtbot.waitUntil(lambda: "demo's own key" in dialogs[0].form.key_status.text())
        assert "⚠" not in dialogs[0].form.key_status.text()
        assert demo.key not in dialogs[0].form.key.placeholderText()
        qtbot.keyClicks(dialogs[0].form.key, "another-key")  # the hint is about the demo's key
        assert "demo's own key" not in dialogs[0].form.key_status.text()
        dialogs[0].reject()
        close(qtbot, app)
    finally:
        server.stop()


def test_exit_after_shown_contract(tmp_path: Path) -> None:
    env = dict(os.environ, JOBMONITOR_EXIT_AFTER_SHOWN="1", QT_QPA_PLATFORM="offscreen")
    proc = subprocess.run(
        [sys.executable, "-m", "jobmonitor", "--demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "jobmonitor: window shown" in proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
