"""The composition root's wiring: check now, a new base URL, settings, tray clicks, countdowns."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from guihelpers import KEY, AppFactory, make_app, qloop, run, sim, world  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog
from pytestqt.qtbot import QtBot

from jobmonitor.api.urls import origin_of
from jobmonitor.core.state import JobState
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui import jobs_model as cols


def test_check_now_asks_again_about_a_finished_job(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    done = world.add_job(KEY, queued_for=0, processing_for=0)
    app = make_app(add_text=done)
    qtbot.waitUntil(lambda: app.watchlist.get(done).state is JobState.SUCCESS, timeout=10000)  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: app.watchlist.idle)
    first = app.watchlist.get(done).last_checked  # type: ignore[union-attr]
    world.reset_stats()
    assert app.window.select_job(done)
    qtbot.keyClick(app.window.table, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: app.watchlist.get(done).last_checked != first, timeout=10000)  # type: ignore[union-attr]
    assert world.stats.requests == 1
    assert "Checking 1 job now" in app.window.statusBar().currentMessage()


def test_next_check_counts_down_for_open_jobs(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    waiting = world.add_job(KEY, queued_for=600, processing_for=1, retry_after=30)
    app = make_app(add_text=waiting)
    qtbot.waitUntil(lambda: app.watchlist.get(waiting).state is JobState.QUEUED, timeout=10000)  # type: ignore[union-attr]
    model = app.window.model
    qtbot.waitUntil(
        lambda: str(model.index(0, cols.NEXT_CHECK).data()).startswith("in "), timeout=5000
    )
    shown = model.index(0, cols.NEXT_CHECK).data()
    qtbot.waitUntil(lambda: model.index(0, cols.NEXT_CHECK).data() != shown, timeout=3000)


def test_a_new_base_url_moves_polling_to_that_server(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    other = SimWorld(rate_limit=None)
    other.add_key(KEY)
    with SimServer(other, files_host="127.0.0.1") as second:
        job = other.add_job(KEY, queued_for=0, processing_for=0)
        app = make_app(add_text=job)
        world_url = app.base_url
        qtbot.waitUntil(lambda: app.watchlist.get(job).state is JobState.NOT_FOUND, timeout=10000)  # type: ignore[union-attr]
        assert app.downloads is not None
        assert app.downloads.api_origin == origin_of(app.base_url)
        app.settings.base_url = second.api_url
        run(qtbot, app.api.switch())
        assert app.base_url == second.api_url
        # The key now goes to the new API's files only, never to the old one's.
        assert app.downloads.api_origin == origin_of(second.api_url) != origin_of(world_url)
        # No F5 needed: a job that was settled (not found) on the old server is checked again.
        qtbot.waitUntil(lambda: app.watchlist.get(job).state is JobState.SUCCESS, timeout=10000)  # type: ignore[union-attr]
        assert other.stats.requests >= 1
        run(qtbot, app.aclose())


def test_settings_open_from_the_window(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app()
    app.window.job_actions.settings.trigger()
    qtbot.waitUntil(lambda: bool(app.window.findChildren(QDialog)))
    dialog = app.window.findChildren(QDialog)[0]
    assert dialog.isVisible()
    dialog.reject()


def test_a_tray_click_on_a_job_selects_it(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    ids = [world.add_job(KEY, queued_for=0, processing_for=0) for _ in range(3)]
    app = make_app(add_text=" ".join(ids))
    qtbot.waitUntil(lambda: app.window.model.rowCount() == 3)
    app.window.filter_bar.search.setText(ids[0])
    app.tray.job_activated.emit(ids[2])
    assert app.window.current_job() is not None
    assert app.window.current_job().job_id == ids[2]  # type: ignore[union-attr]
    assert app.window.filter_bar.search.text() == ""  # the filter that hid it was cleared
