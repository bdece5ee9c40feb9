"""Keyboard use of the job table: the current row and the selection agree after a Delete or a
filter, F2 edits the label from any column, Esc clears the search, columns can be hidden."""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

from guihelpers import KEY, AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from jobmonitor.desktop.root import DesktopApp
from jobmonitor.sim.world import SimWorld
from jobmonitor.ui import jobs_model as cols
from jobmonitor.ui.job_text import Category
from jobmonitor.ui.main_window import MainWindow


def _app_with_jobs(qtbot: QtBot, make_app: AppFactory, world: SimWorld, n: int) -> DesktopApp:
    ids = [world.add_job(KEY, queued_for=600) for _ in range(n)]
    app = make_app(add_text="\n".join(ids))
    qtbot.waitUntil(lambda: app.window.proxy.rowCount() == n)
    return app


def _agree(window: MainWindow) -> bool:
    current = window.table.currentIndex()
    selected = window.selected_ids()
    return current.isValid() and selected == [window.proxy.job_id_at(current.row())]


def test_after_delete_the_next_job_is_selected_and_a_second_delete_works(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    app = _app_with_jobs(qtbot, make_app, world, 3)
    window = app.window
    window.table.selectRow(1)
    window.table.setFocus()
    second, third = window.proxy.job_id_at(1), window.proxy.job_id_at(2)
    window.job_actions.remove.trigger()
    qtbot.waitUntil(lambda: _agree(window) and window.selected_ids() == [third])
    assert window.job_actions.remove.isEnabled() and window.details.job is not None
    assert window.details.job.job_id == third
    window.job_actions.remove.trigger()  # the second Delete removes the job now shown
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1 and _agree(window))
    assert second not in app.watchlist.known_ids() and third not in app.watchlist.known_ids()


def test_a_search_that_hides_the_selected_job_selects_the_one_shown(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    app = _app_with_jobs(qtbot, make_app, world, 3)
    window = app.window
    window.table.selectRow(0)
    keep = window.proxy.job_id_at(2)
    window.filter_bar.search.setText(keep[:13])
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 1)
    qtbot.waitUntil(lambda: _agree(window))
    assert window.selected_ids() == [keep] and window.details.job is not None
    assert window.details.job.job_id == keep and window.job_actions.remove.isEnabled()


def test_f2_edits_the_label_from_any_column_and_esc_clears_the_search(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    app = _app_with_jobs(qtbot, make_app, world, 2)
    window, table = app.window, app.window.table
    table.setFocus()
    table.setCurrentIndex(window.proxy.index(1, cols.STATUS))
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit) and table.currentIndex().column() == cols.LABEL
    editor.setText("nightly export")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    job_id = window.proxy.job_id_at(1)
    qtbot.waitUntil(lambda: app.watchlist.get(job_id).label == "nightly export")

    search = window.filter_bar.search
    search.setFocus()
    qtbot.keyClicks(search, "zzz")
    qtbot.waitUntil(lambda: window.proxy.rowCount() == 0)
    qtbot.keyClick(search, Qt.Key.Key_Escape)
    assert search.text() == "" and window.proxy.rowCount() == 2


def test_columns_can_be_hidden_and_shown_from_the_header_menu(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    app = _app_with_jobs(qtbot, make_app, world, 1)
    table = app.window.table
    header = table.horizontalHeader()
    actions = table.column_actions
    assert cols.ID not in actions  # the id is what a row is
    assert not actions[cols.CREATED].isChecked() and header.isSectionHidden(cols.CREATED)
    actions[cols.CREATED].trigger()
    assert not header.isSectionHidden(cols.CREATED) and header.sectionSize(cols.CREATED) > 20
    actions[cols.RESULT].trigger()
    assert header.isSectionHidden(cols.RESULT)
    table.fit_columns()  # no error code yet: still room for one when it comes
    assert header.sectionSize(cols.ERROR) > table.fontMetrics().horizontalAdvance("JOB_NOT_FOUND")
    menu = app.window.menus.columns
    names = [a.text() for a in menu.actions() if a.isCheckable()]
    assert "Result" in names and "Created" in names and "Job ID" not in names


def test_the_selected_jobs_status_change_is_announced(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=0)
    heard: list[str] = []
    app = make_app(start=False)
    app.window.announcer.announced.connect(heard.append)
    app.window.add_bar.announcer.announced.connect(heard.append)
    app.start(add_text=job)
    qtbot.waitUntil(lambda: any(h.endswith(": Succeeded") for h in heard), timeout=15000)
    assert heard[0] == "Added 1 job from the command line."


def test_the_window_works_at_640x480(qtbot: QtBot, make_app: AppFactory, world: SimWorld) -> None:
    app = _app_with_jobs(qtbot, make_app, world, 4)
    window = app.window
    window.resize(640, 480)
    qtbot.waitUntil(lambda: window.width() == 640 and window.height() == 480)
    assert window.menus.details_below.isChecked()  # narrow: the details go under the list
    table, details = window.table, window.details
    assert table.height() > 4 * table.verticalHeader().defaultSectionSize()
    assert details.isVisible() and details.height() > 80 and details.width() > 560
    header = table.horizontalHeader()
    status_end = header.sectionViewportPosition(cols.STATUS) + header.sectionSize(cols.STATUS)
    assert status_end <= table.viewport().width()  # id and status without scrolling
    chips = window.filter_bar.chips
    assert all(
        chip.isVisible() and chip.width() >= chip.sizeHint().width() for chip in chips.values()
    )
    assert chips[None].text() == "All (4)" and "Queued (4)" in window.filter_bar.texts.values()
    window.resize(1400, 800)  # wide again: beside the list
    qtbot.waitUntil(lambda: not window.menus.details_below.isChecked())
    assert chips[None].text() == "All (4)" and chips[Category.QUEUED].text() == "Queued (4)"
    assert window.filter_bar.search.width() == 360  # room for its placeholder


def test_the_details_stay_where_they_were_left_after_a_restart(
    qtbot: QtBot, make_app: AppFactory, world: SimWorld
) -> None:
    first = _app_with_jobs(qtbot, make_app, world, 1)
    first.window.resize(1280, 700)
    qtbot.waitUntil(lambda: first.window.splitter.orientation() is Qt.Orientation.Horizontal)
    first.window.splitter.setSizes([900, 380])
    close(qtbot, first)
    again = make_app()
    # The offscreen screen is 800 px wide: the restored window is narrower than it was left,
    # and the details stay beside the list as they were, with their width, until moved by hand.
    splitter = again.window.splitter
    assert splitter.orientation() is Qt.Orientation.Horizontal
    assert splitter.sizes()[1] == 380 and not again.window.menus.details_below.isChecked()
    assert (
        again.window.table.horizontalHeader().receivers("2customContextMenuRequested(QPoint)") == 1
    )  # one menu on the header: the table's
    again.window.resize(1200, 700)
    again.window.resize(640, 480)  # made narrow by hand: now they go under the list
    qtbot.waitUntil(lambda: splitter.orientation() is Qt.Orientation.Vertical)
