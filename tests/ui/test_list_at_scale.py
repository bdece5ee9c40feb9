"""The table view and the filter chips on long lists: what they do instead of a pass per change.

Behaviour, not speed (bench_gui.py has the figures): the selected rows are read by ranges, a
removal of many selected rows lets go of the selection first (and of a few, keeps it), an
extra chip's count (Stuck) on a long list is a throttled pass that still ends with the right count,
and the first rows fit the columns one column per event-loop turn.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot
from uihelpers import (
    many_ids,
    snapshot_event,
)

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import filter_bar, jobs_view
from jobmonitor.ui import jobs_model as m
from jobmonitor.ui.filter_bar import FilterBar
from jobmonitor.ui.jobs_proxy import JobsFilterProxy
from jobmonitor.ui.jobs_view import JobsTableView


def _table(qtbot: QtBot, watchlist: WatchList, n: int) -> tuple[JobsTableView, JobsFilterProxy]:
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    view = JobsTableView()
    qtbot.addWidget(view)
    view.setModel(proxy)
    watchlist.add(many_ids(n))
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == n)
    return view, proxy


def _select_rows(view: JobsTableView, rows: list[int]) -> None:
    proxy = view.model()
    selection = QItemSelection()
    for row in rows:
        selection.select(proxy.index(row, 0), proxy.index(row, proxy.columnCount() - 1))
    view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)


def test_selected_rows_are_read_by_ranges(qtbot: QtBot, watchlist: WatchList) -> None:
    view, _proxy = _table(qtbot, watchlist, 200)
    _select_rows(view, [150, *range(10, 20), 3])
    assert view.selected_rows() == [3, *range(10, 20), 150]


def test_a_row_of_several_selected_cells_is_one_selected_row(
    qtbot: QtBot, watchlist: WatchList
) -> None:
    view, proxy = _table(qtbot, watchlist, 50)
    selection = QItemSelection()
    for column in (0, 2, 4):  # three ranges of one row each
        selection.select(proxy.index(7, column), proxy.index(7, column))
    selection.select(proxy.index(3, 0), proxy.index(5, 1))  # one range of three rows
    view.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
    assert view.selected_rows() == [3, 4, 5, 7]


def test_the_ids_at_shown_rows_follow_the_sort_and_the_filter(
    qtbot: QtBot, watchlist: WatchList
) -> None:
    _view, proxy = _table(qtbot, watchlist, 50)
    ids = many_ids(50)
    assert proxy.job_ids_at([0, 1, 49]) == [ids[0], ids[1], ids[49]]
    proxy.sort(m.ID, Qt.SortOrder.DescendingOrder)
    proxy.settle_now()
    assert proxy.job_ids_at([0, 1, 49]) == [ids[49], ids[48], ids[0]]
    proxy.sort(-1)
    proxy.set_search_text(ids[7][-4:])  # one job matches
    proxy.settle_now()
    assert proxy.rowCount() == 1 and proxy.job_ids_at([0]) == [ids[7]]


def test_a_removal_of_many_selected_rows_lets_go_of_the_selection_first(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_view, "LET_GO_ROWS", 10)
    view, proxy = _table(qtbot, watchlist, 100)
    _select_rows(view, [1, 5])
    view.let_go_of_selection(2)  # a few: they follow their jobs
    assert view.selected_rows() == [1, 5]
    _select_rows(view, list(range(0, 100, 2)))
    # the persistent indexes the removal's layout change would have to move one by one
    assert len(proxy.persistentIndexList()) >= 50
    view.let_go_of_selection(50)
    assert view.selected_rows() == [] and len(proxy.persistentIndexList()) <= 2


def test_the_current_row_moves_onto_a_selection_of_scattered_rows(
    qtbot: QtBot, watchlist: WatchList
) -> None:
    view, proxy = _table(qtbot, watchlist, 100)
    view.setCurrentIndex(proxy.index(99, 0))
    _select_rows(view, list(range(4, 60, 3)))
    view.sync_selection()
    assert view.currentIndex().row() == 4 and view.selected_rows() == list(range(4, 60, 3))


def test_the_stuck_count_of_a_long_list_is_one_pass_for_many_changes(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filter_bar, "SYNC_ROWS", 10)
    monkeypatch.setattr(filter_bar, "EXTRA_RECOUNT_MS", 50)
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    bar = FilterBar(model, proxy)
    qtbot.addWidget(bar)
    passes: list[int] = []

    def stuck() -> object:
        passes.append(1)  # asked once at the start of each counting pass
        return lambda job: job.state is JobState.PROCESSING

    chip = bar.add_chip("Stuck", "unchanged for long", stuck)  # type: ignore[arg-type]
    ids = many_ids(200)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and model.rowCount() == 200)
    changes: list[int] = []
    model.counts_changed.connect(lambda: changes.append(1))
    passes.clear()
    body = {"status": "processing", "retry_after": 3}
    for batch in range(20):  # twenty saved batches, each moving the counts
        for job_id in ids[batch * 5 : batch * 5 + 5]:
            watchlist.on_event(snapshot_event(job_id, JobState.PENDING, body))
        qtbot.waitUntil(lambda: watchlist.idle)
    qtbot.waitUntil(lambda: chip.text() == "Stuck (100)")
    # the counts move at most once per batch (once a frame: batches of one frame are one)
    assert 1 <= len(changes) <= 20 and len(passes) < 20
    assert chip.accessibleName() == "Show stuck jobs: 100"


def test_refresh_counts_a_long_list_again(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filter_bar, "SYNC_ROWS", 10)
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    bar = FilterBar(model, proxy)
    qtbot.addWidget(bar)
    threshold = {"added_before": 0.0}

    def stuck() -> object:
        return lambda job: isinstance(job, WatchedJob) and job.added_at < threshold["added_before"]

    chip = bar.add_chip("Stuck", "unchanged for long", stuck)  # type: ignore[arg-type]
    watchlist.add(many_ids(50))
    qtbot.waitUntil(lambda: watchlist.idle and model.rowCount() == 50)
    qtbot.waitUntil(lambda: chip.text() == "Stuck (0)")
    threshold["added_before"] = float("inf")  # time moved on: every job counts now
    bar.refresh_extra()
    qtbot.waitUntil(lambda: chip.text() == "Stuck (50)")


def test_the_first_rows_fit_the_columns_one_column_per_turn(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    fitted: list[int] = []
    real = JobsTableView._fit_column
    monkeypatch.setattr(
        JobsTableView, "_fit_column", lambda self, c: (fitted.append(c), real(self, c))[1]
    )
    view, _proxy = _table(qtbot, watchlist, 300)
    header = view.horizontalHeader()
    shown = [c for c in range(header.count()) if not header.isSectionHidden(c)]
    qtbot.waitUntil(lambda: len(fitted) == header.count())
    assert fitted == list(range(header.count()))  # each column once, in turn
    fitted.clear()
    view._first_fit()  # started again: the first column at once, the others in later turns
    assert fitted == [0]
    qtbot.waitUntil(lambda: len(fitted) == header.count())
    mono = view.fontMetrics().horizontalAdvance("0" * 36)
    assert header.sectionSize(m.ID) >= mono and all(header.sectionSize(c) > 0 for c in shown)
    assert header.resizeContentsPrecision() == jobs_view._FIT_ROWS  # the menu's fit is whole
