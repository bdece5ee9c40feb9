"""A label being typed survives answers about its own row: a poll that changes the row's
status neither replaces the typed text nor moves the cursor, and the text is saved on Enter."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.qtbot import QtBot
from uihelpers import collect_on_gui_thread, many_ids, snapshot_event  # noqa: F401 - autouse

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import jobs_model as cols
from jobmonitor.ui.jobs_proxy import JobsFilterProxy
from jobmonitor.ui.jobs_view import JobsTableView


def _table(qtbot: QtBot, watchlist: WatchList, ids: list[str]) -> JobsTableView:
    model = cols.JobsTableModel(watchlist)
    table = JobsTableView()
    table.setModel(JobsFilterProxy(model, table))
    table.model().setParent(table)
    model.setParent(table)
    qtbot.addWidget(table)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and table.model().rowCount() == len(ids))
    table.show()
    qtbot.waitExposed(table)
    return table


def _edit_label(qtbot: QtBot, table: JobsTableView, row: int) -> QLineEdit:
    index = table.model().index(row, cols.LABEL)
    table.setCurrentIndex(index)
    table.edit(index)
    editor = table.indexWidget(index) or table.viewport().findChild(QLineEdit)
    assert isinstance(editor, QLineEdit) and editor.isVisible()
    return editor


def test_answers_about_the_row_leave_the_typed_label_and_cursor_alone(
    qtbot: QtBot, watchlist: WatchList
) -> None:
    ids = many_ids(3)
    table = _table(qtbot, watchlist, ids)
    model = table.model().sourceModel()
    assert isinstance(model, cols.JobsTableModel)
    editor = _edit_label(qtbot, table, 1)
    qtbot.keyClicks(editor, "nightly")
    editor.setCursorPosition(3)
    for state, body in (
        (JobState.PENDING, {"status": "processing", "retry_after": 3}),
        (JobState.PROCESSING, {"status": "failed", "error": {"code": "X", "message": "bad"}}),
    ):
        watchlist.on_event(snapshot_event(ids[1], state, body))
        qtbot.waitUntil(lambda: watchlist.idle)
        model.show_changes_now()
    qtbot.waitUntil(lambda: model.job_at(1).state is JobState.FAILED)
    assert editor.text() == "nightly" and editor.cursorPosition() == 3
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: watchlist.idle and model.job_at(1).label == "nightly")
    assert model.job_at(0).label == "" and model.job_at(2).label == ""


def test_an_editor_opens_on_the_saved_label(qtbot: QtBot, watchlist: WatchList) -> None:
    ids = many_ids(2)
    table = _table(qtbot, watchlist, ids)
    watchlist.set_label(ids[0], "weekly")
    qtbot.waitUntil(lambda: watchlist.idle)
    editor = _edit_label(qtbot, table, 0)
    assert editor.text() == "weekly"
