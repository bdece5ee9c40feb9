"""A burst of answers reaches the table once a frame: one signal per run of changed rows for
everything saved within the frame (not one per answer, nor per saved batch), and never a reset."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from pytestqt.qtbot import QtBot
from uihelpers import (
    many_ids,
    snapshot_event,
)

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import jobs_model as m
from jobmonitor.ui.jobs_proxy import JobsFilterProxy

PROCESSING = {"status": "processing", "retry_after": 3}


def _answer(watchlist: WatchList, qtbot: QtBot, job_ids: list[str]) -> None:
    """Answers about ``job_ids`` handled and saved (one batch, one transaction)."""
    for job_id in job_ids:
        watchlist.on_event(snapshot_event(job_id, JobState.PENDING, PROCESSING))
    qtbot.waitUntil(lambda: watchlist.idle)


def test_a_burst_of_answers_reaches_the_model_once_a_frame_never_as_a_reset(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(m, "FRAME_MS", 60_000)  # the whole burst lands within one frame
    ids = many_ids(120)
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == 120)
    signals: list[tuple[int, int]] = []
    model.dataChanged.connect(lambda a, b, _roles: signals.append((a.row(), b.row())))
    shown: list[tuple[int, int]] = []
    proxy.dataChanged.connect(lambda a, b, _roles: shown.append((a.row(), b.row())))
    resets: list[str] = []
    for name, source in (("model", model), ("proxy", proxy)):
        source.modelAboutToBeReset.connect(lambda n=name: resets.append(n))
    counts: list[int] = []
    model.counts_changed.connect(lambda: counts.append(1))

    _answer(watchlist, qtbot, ids[:1])  # a quiet moment's answer: shown at once
    assert signals == [(0, 0)] and model.job_at(0).state is JobState.PROCESSING
    for batch in range(10):  # then 100 answers in ten saved batches, within the frame
        _answer(watchlist, qtbot, ids[1 + batch * 10 : 11 + batch * 10])
    assert signals == [(0, 0)] and model.job_at(50).state is JobState.PENDING  # not yet
    model.show_changes_now()  # the frame's end
    assert signals == [(0, 0), (1, 100)]  # one signal for the burst's one run of rows
    assert shown == signals and len(counts) == 2
    assert all(model.job_at(r).state is JobState.PROCESSING for r in range(101))
    assert model.job_at(101).state is JobState.PENDING

    scattered = ids[101::3]  # rows 101, 104, ...: one signal per run, still once a frame
    _answer(watchlist, qtbot, scattered[:2])
    _answer(watchlist, qtbot, scattered[2:])
    model.show_changes_now()
    assert signals[2:] == [(r, r) for r in range(101, 120, 3)]
    assert not resets


def test_a_frame_ends_by_itself_and_shows_what_waited(qtbot: QtBot, watchlist: WatchList) -> None:
    ids = many_ids(30)
    model = m.JobsTableModel(watchlist)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and model.rowCount() == 30)
    for job_id in ids:  # a saved batch per answer, all within a frame or two
        _answer(watchlist, qtbot, [job_id])
    qtbot.waitUntil(lambda: all(model.job_at(r).state is JobState.PROCESSING for r in range(30)))


def test_an_answer_waiting_for_the_frame_about_a_removed_job_is_dropped(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(m, "FRAME_MS", 60_000)
    ids = many_ids(10)
    model = m.JobsTableModel(watchlist)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and model.rowCount() == 10)
    _answer(watchlist, qtbot, ids[:1])
    _answer(watchlist, qtbot, ids[1:3])  # waits for the frame's end
    removed = watchlist.remove(ids[1:2])
    qtbot.waitUntil(lambda: watchlist.idle and model.rowCount() == 9)
    watchlist.put_back(removed)  # the record as it was removed
    qtbot.waitUntil(lambda: watchlist.idle and model.rowCount() == 10)
    model.show_changes_now()
    assert [model.job_at(r).job_id for r in range(10)] == ids
    assert model.job_at(2).state is JobState.PROCESSING
    assert sum(model.counts.values()) == 10 and model.state_counts[JobState.PROCESSING] == 3


def test_selection_and_current_row_survive_a_burst_while_sorted(
    qtbot: QtBot, watchlist: WatchList
) -> None:
    ids = many_ids(50)
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    selection = QItemSelectionModel(proxy)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == 50)
    with qtbot.waitSignal(proxy.settled):
        proxy.sort(m.ID, Qt.SortOrder.DescendingOrder)
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (4, 30):
        selection.select(proxy.index(row, 0), flags)
    selection.setCurrentIndex(proxy.index(30, 0), QItemSelectionModel.SelectionFlag.NoUpdate)
    chosen = {proxy.job_id_at(i.row()) for i in selection.selectedRows()}
    for batch in range(5):
        _answer(watchlist, qtbot, ids[batch * 10 : batch * 10 + 10])
    with qtbot.waitSignal(proxy.settled):
        proxy.sort(m.STATUS, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: model.state_counts[JobState.PROCESSING] == 50)
    assert {proxy.job_id_at(i.row()) for i in selection.selectedRows()} == chosen
    assert proxy.job_id_at(selection.currentIndex().row()) == ids[-31]
