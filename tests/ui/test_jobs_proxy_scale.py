"""The filter proxy at the sizes where it matters: sliced passes, bursts and bulk changes.

What is checked is behaviour, not speed (bench_gui.py has the figures): a long sort is applied
in one layout change after the old order stayed usable, a burst of polls never resets anything
and keeps the selection, and a Delete of many scattered rows and its undo keep what is selected.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from uihelpers import (
    failed_event,
    many_ids,
    snapshot_event,
)

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import jobs_model as m
from jobmonitor.ui import jobs_proxy, rows
from jobmonitor.ui.jobs_proxy import JobsFilterProxy


def _shown(proxy: JobsFilterProxy) -> list[str]:
    return [proxy.job_id_at(r) for r in range(proxy.rowCount())]


def _selected(proxy: JobsFilterProxy, selection: QItemSelectionModel) -> set[str]:
    return {proxy.job_id_at(i.row()) for i in selection.selectedRows()}


def _select(selection: QItemSelectionModel, proxy: JobsFilterProxy, rows: list[int]) -> None:
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in rows:
        selection.select(proxy.index(row, 0), flags)


def test_a_long_sort_runs_in_slices_and_keeps_the_selection(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_proxy, "SYNC_ROWS", 100)
    monkeypatch.setattr(rows, "CHUNK", 50)
    ids = many_ids(1000)
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    proxy.passes.budget = 0.0  # one step per event-loop turn
    selection = QItemSelectionModel(proxy)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == 1000)
    _select(selection, proxy, [3, 500])
    selection.setCurrentIndex(proxy.index(3, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
    with qtbot.waitSignal(proxy.settled):
        proxy.sort(m.ID, Qt.SortOrder.DescendingOrder)
        assert proxy.busy and _shown(proxy) == ids  # the old order until the pass is done
    assert _shown(proxy) == ids[::-1]
    assert _selected(proxy, selection) == {ids[3], ids[500]}
    assert proxy.job_id_at(selection.currentIndex().row()) == ids[3]
    with qtbot.waitSignal(proxy.settled):
        proxy.set_search_text(ids[500][-4:])
    assert _shown(proxy) == [ids[500]] and _selected(proxy, selection) == {ids[500]}


def test_a_burst_of_polls_resets_nothing_and_keeps_the_selection(
    qtbot: QtBot, watchlist: WatchList
) -> None:
    ids = many_ids(60)
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    selection = QItemSelectionModel(proxy)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == 60)
    proxy.sort(m.STATUS, Qt.SortOrder.AscendingOrder)
    _select(selection, proxy, [2, 3, 40])
    chosen = _selected(proxy, selection)
    resets: list[str] = []
    model.modelAboutToBeReset.connect(lambda: resets.append("model"))
    proxy.modelAboutToBeReset.connect(lambda: resets.append("proxy"))
    body = {"status": "processing", "retry_after": 3}
    for job_id in ids:
        watchlist.on_event(snapshot_event(job_id, JobState.PENDING, body))
    for job_id in ids[::7]:
        watchlist.on_event(failed_event(job_id))
    qtbot.waitUntil(lambda: watchlist.idle)
    with qtbot.waitSignal(proxy.settled, timeout=5000):
        pass  # the re-sort that follows a burst
    assert not resets
    assert _selected(proxy, selection) == chosen
    states = [proxy.index(r, m.STATUS).data(m.SortRole) for r in range(proxy.rowCount())]
    assert states == sorted(states) and proxy.rowCount() == 60


def test_delete_of_scattered_rows_and_undo_keep_the_selection(
    qtbot: QtBot, watchlist: WatchList, request: pytest.FixtureRequest
) -> None:
    n = 4 * m.BULK_RUNS
    ids = many_ids(n)
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    tester = ModelTester(request.config)
    tester.check(proxy, force_py=True)
    selection = QItemSelectionModel(proxy)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == n)
    _select(selection, proxy, [1, 2, 9])
    proxy_resets: list[bool] = []
    proxy.modelAboutToBeReset.connect(lambda: proxy_resets.append(True))
    with qtbot.waitSignal(proxy.layoutChanged):
        removed = watchlist.remove(ids[::2])  # every other row: one run each
        qtbot.waitUntil(lambda: watchlist.idle)
    assert _shown(proxy) == ids[1::2]
    assert _selected(proxy, selection) == {ids[1], ids[9]}
    assert model.counts[m.Category.QUEUED] == n // 2
    with qtbot.waitSignal(proxy.layoutChanged):
        watchlist.put_back(removed)
        qtbot.waitUntil(lambda: watchlist.idle)
    assert _shown(proxy) == ids and model.counts[m.Category.QUEUED] == n
    assert _selected(proxy, selection) == {ids[1], ids[9]}
    assert not proxy_resets
    proxy.sort(m.ID, Qt.SortOrder.DescendingOrder)
    watchlist.remove(ids[1::2])
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == n // 2)
    assert _shown(proxy) == ids[::2][::-1]
    tester._cleanup()
