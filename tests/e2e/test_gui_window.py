"""Closing the window (to the tray, or quitting), and what the window shows at first sight."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import JobState
from jobmonitor.desktop.root import TRAY_HINT
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui import jobs_model as cols


def test_without_a_tray_closing_the_window_quits(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app()  # offscreen Qt has no system tray
    assert not app.tray.available
    with qtbot.waitSignal(app.quit_requested, timeout=2000):
        assert app.window.close()
    assert not app.tray_hint_given


def test_with_a_tray_closing_hides_to_it_once_told(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app(tray_available=True)
    assert app.tray.available
    shown: list[tuple[str, str]] = []
    app.tray.message_shown.connect(lambda title, text: shown.append((title, text)))
    with qtbot.assertNotEmitted(app.quit_requested):
        assert not app.window.close()  # the close is refused: the window hides instead
    assert not app.window.isVisible()
    assert shown == [("Job Monitor", TRAY_HINT)]
    assert "Ctrl+Q" in TRAY_HINT

    menu = app.tray.menu
    assert menu is not None
    show = next(a for a in menu.actions() if a.text().replace("&", "").startswith("Show"))
    show.trigger()
    qtbot.waitExposed(app.window)
    assert app.window.isVisible()

    with qtbot.assertNotEmitted(app.quit_requested):
        app.window.close()
    assert not app.window.isVisible() and len(shown) == 1  # told once per session
    app.tray.show_window_requested.emit()
    qtbot.waitExposed(app.window)
    with qtbot.waitSignal(app.quit_requested, timeout=2000):
        app.window.job_actions.quit.trigger()  # Ctrl+Q (the shortcut: test_gui_menus)


def test_the_tray_quit_item_quits(qtbot: QtBot, make_app: AppFactory) -> None:
    app = make_app(tray_available=True)
    menu = app.tray.menu
    assert menu is not None
    quit_item = next(a for a in menu.actions() if a.text().replace("&", "") == "Quit")
    with qtbot.waitSignal(app.quit_requested, timeout=2000):
        quit_item.trigger()


def test_empty_list_says_what_to_do_then_the_first_job_is_shown(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    app = make_app()
    details = app.window.details
    assert details.placeholder.isVisible()
    text = details.placeholder.text()
    assert "No jobs watched yet" in text and "Ctrl+N" in text and "F5" in text
    assert not app.window.job_actions.check_now.isEnabled()  # nothing to check yet
    job = world.add_job(KEY, queued_for=600, processing_for=1)
    app.window.adder.add_text(job)
    qtbot.waitUntil(lambda: details.job is not None)
    assert details.job is not None and details.job.job_id == job
    assert app.window.current_job() is not None
    assert app.window.job_actions.check_now.isEnabled()


def test_a_restored_list_opens_with_its_first_job_selected(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    ids = [world.add_job(KEY, queued_for=600, processing_for=1) for _ in range(3)]
    first = make_app(add_text=" ".join(ids))
    qtbot.waitUntil(lambda: first.window.model.rowCount() == 3)
    assert first.window.select_job(ids[2])
    close(qtbot, first)
    again = make_app()
    assert again.window.model.rowCount() == 3
    current = again.window.current_job()
    assert current is not None and current.job_id == ids[0]
    assert again.window.details.job is not None and again.window.details.job.job_id == ids[0]
    assert not again.window.details.placeholder.isVisible()


def test_the_status_comes_right_after_the_id_and_fits_every_common_state(
    qtbot: QtBot, make_app: AppFactory
) -> None:
    app = make_app()
    header = app.window.table.horizontalHeader()
    shown = [header.logicalIndex(v) for v in range(header.count())]
    assert shown[:6] == [cols.ID, cols.STATUS, cols.LABEL, cols.NEXT_CHECK, cols.ERROR, cols.RESULT]
    # The times the details show for the selected job are hidden at first (header menu).
    hidden = {c for c in range(header.count()) if header.isSectionHidden(c)}
    assert hidden == {cols.CREATED, cols.UPDATED, cols.LAST_CHECKED}
    # A 900-pixel-wide window still shows the status beside the id.
    assert header.sectionSize(cols.ID) + header.sectionSize(cols.STATUS) < 900 - 420
    metrics = app.window.table.fontMetrics()
    for state in JobState:
        if state is not JobState.FORBIDDEN:  # the one long label: elided, whole in its tooltip
            assert metrics.horizontalAdvance(state.label) + 22 < header.sectionSize(cols.STATUS)
