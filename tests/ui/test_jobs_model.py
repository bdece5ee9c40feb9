"""The table model and its filter proxy: Qt's model tester, incremental updates, filters and sort."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPersistentModelIndex, Qt
from PySide6.QtGui import QFont
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from uihelpers import (  # noqa: F401 - collect_on_gui_thread is an autouse fixture
    IDS,
    collect_on_gui_thread,
    failed_event,
    forbidden_event,
    snapshot_event,
    success_event,
)

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import jobs_model as m
from jobmonitor.ui.jobs_proxy import JobsFilterProxy


def _settle(qtbot: QtBot, watchlist: WatchList) -> None:
    qtbot.waitUntil(lambda: watchlist.idle)


def test_model_and_proxy_pass_the_model_tester(
    qtbot: QtBot, qtmodeltester: ModelTester, watchlist: WatchList, request: pytest.FixtureRequest
) -> None:
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    qtmodeltester.check(model, force_py=True)
    proxy_tester = ModelTester(request.config)  # one tester watches one model
    proxy_tester.check(proxy, force_py=True)
    proxy.sort(m.STATUS, Qt.SortOrder.AscendingOrder)
    watchlist.add(IDS[:6])
    _settle(qtbot, watchlist)
    watchlist.on_event(failed_event(IDS[1]))
    watchlist.on_event(success_event(IDS[2]))
    watchlist.remove([IDS[0], IDS[4]])
    _settle(qtbot, watchlist)
    proxy.set_category(m.Category.FAILED)
    proxy.set_search_text("0000")
    assert model.rowCount() == 4 and proxy.rowCount() == 1
    proxy_tester._cleanup()


def test_polls_update_rows_in_place(qtbot: QtBot, watchlist: WatchList) -> None:
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    watchlist.add(IDS[:5])
    _settle(qtbot, watchlist)
    proxy.sort(m.ID, Qt.SortOrder.DescendingOrder)
    kept = QPersistentModelIndex(proxy.index(1, 0))
    resets: list[bool] = []
    model.modelReset.connect(lambda: resets.append(True))
    body = {"status": "processing", "retry_after": 3}
    for job_id in IDS[:5]:
        watchlist.on_event(snapshot_event(job_id, JobState.PENDING, body))
    _settle(qtbot, watchlist)
    assert not resets
    assert kept.isValid() and kept.data(m.JobIdRole) == IDS[3]
    assert proxy.index(0, m.STATUS).data() == "Processing"
    assert model.counts[m.Category.PROCESSING] == 5


def test_cells_of_a_failed_and_a_finished_job(qtbot: QtBot, watchlist: WatchList) -> None:
    model = m.JobsTableModel(watchlist, next_due=lambda _id: 10**10)
    watchlist.add(IDS[:3])
    watchlist.set_label(IDS[0], "nightly")
    watchlist.on_event(failed_event(IDS[0]))
    watchlist.on_event(success_event(IDS[1]))
    _settle(qtbot, watchlist)
    failed = [model.index(0, c).data() for c in range(model.columnCount())]
    assert failed[m.ID] == IDS[0] and failed[m.LABEL] == "nightly"
    assert failed[m.STATUS] == "Failed" and failed[m.ERROR] == "INVALID_JSON"
    assert failed[m.RESULT] == "Unexpected token } in JSON"
    assert failed[m.NEXT_CHECK] == "stopped"
    assert model.index(0, m.UPDATED).data(Qt.ItemDataRole.ToolTipRole).startswith("Updated 2023-")
    assert model.index(1, m.RESULT).data() == "File ready: result.csv"
    assert model.index(2, m.NEXT_CHECK).data().startswith("in ")
    assert model.index(2, m.LAST_CHECKED).data() == "never"
    assert JobState(model.index(0, m.STATUS).data(m.StateRole)) is JobState.FAILED
    assert (
        model.index(0, m.ID).data(Qt.ItemDataRole.FontRole).styleHint()
        == QFont.StyleHint.TypeWriter
    )


def test_label_is_editable_and_saved(qtbot: QtBot, watchlist: WatchList) -> None:
    model = m.JobsTableModel(watchlist)
    watchlist.add(IDS[:1])
    _settle(qtbot, watchlist)
    assert model.flags(model.index(0, m.LABEL)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(0, m.ID)) & Qt.ItemFlag.ItemIsEditable
    with qtbot.waitSignal(model.dataChanged):
        assert model.setData(model.index(0, m.LABEL), "march invoices")
    assert model.index(0, m.LABEL).data() == "march invoices"


def test_filter_by_category_and_search(qtbot: QtBot, watchlist: WatchList) -> None:
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    watchlist.add(IDS[:4])
    watchlist.set_label(IDS[3], "Payroll export")
    watchlist.on_event(failed_event(IDS[0]))
    watchlist.on_event(forbidden_event(IDS[1]))
    _settle(qtbot, watchlist)
    assert dict(model.counts) == {m.Category.FAILED: 1, m.Category.PROBLEM: 1, m.Category.QUEUED: 2}
    proxy.set_category(m.Category.PROBLEM)
    assert [proxy.job_id_at(r) for r in range(proxy.rowCount())] == [IDS[1]]
    proxy.set_category(None)
    proxy.set_search_text("invalid_json")
    assert [proxy.job_id_at(r) for r in range(proxy.rowCount())] == [IDS[0]]
    proxy.set_search_text("PAYROLL")
    assert [proxy.job_id_at(r) for r in range(proxy.rowCount())] == [IDS[3]]
    proxy.set_search_text(IDS[2][:8])
    assert [proxy.job_id_at(r) for r in range(proxy.rowCount())] == [IDS[2]]


@pytest.mark.parametrize("column", range(len(m.HEADERS)))
def test_every_column_sorts(qtbot: QtBot, watchlist: WatchList, column: int) -> None:
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    watchlist.add(IDS[:3])
    watchlist.on_event(failed_event(IDS[2]))
    _settle(qtbot, watchlist)
    proxy.sort(column, Qt.SortOrder.AscendingOrder)
    up = [proxy.index(r, column).data(m.SortRole) for r in range(3)]
    assert up == sorted(up)
    proxy.sort(column, Qt.SortOrder.DescendingOrder)
    down = [proxy.index(r, column).data(m.SortRole) for r in range(3)]
    assert down == sorted(down, reverse=True)


def test_countdown_repaints_only_its_column(qtbot: QtBot, watchlist: WatchList) -> None:
    model = m.JobsTableModel(watchlist)
    watchlist.add(IDS[:3])
    _settle(qtbot, watchlist)
    with qtbot.waitSignal(model.dataChanged, timeout=3000) as blocker:
        pass
    top, bottom = blocker.args[0], blocker.args[1]
    assert (top.row(), top.column(), bottom.row(), bottom.column()) == (
        0,
        m.NEXT_CHECK,
        2,
        m.NEXT_CHECK,
    )
    assert Qt.ItemDataRole.DisplayRole in blocker.args[2]
