"""A long saved list at start-up: the window shows while it is read, then every row arrives in
order, with its label, state and history; an add meanwhile finds the saved jobs already there."""

# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)
from __future__ import annotations

from pathlib import Path

import pytest
from guihelpers import AppFactory, close, make_app, qloop, sim, world  # noqa: F401
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.records import HistoryEntry, WatchedJob
from jobmonitor.desktop import root
from jobmonitor.ui import jobs_model

N = 6_000


def _saved_list(data: Path) -> list[str]:
    """A real watch-list file of N jobs (a label on some, a finished one at the end)."""
    ids = [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(N)]
    store = JobStore(data / root.DB_NAME)
    jobs = [
        WatchedJob(job_id, i, 1_000.0 + i, label=f"batch {i // 100}" if i % 10 == 0 else "")
        for i, job_id in enumerate(ids)
    ]
    jobs[-1] = WatchedJob(ids[-1], N - 1, 2_000.0, state=JobState.SUCCESS)
    history = [(j.job_id, HistoryEntry(JobState.PENDING, j.added_at)) for j in jobs]
    history.append((ids[-1], HistoryEntry(JobState.SUCCESS, 2_500.0)))
    store.write(upsert=jobs, history=history)
    store.close()
    return ids


def test_the_window_shows_while_a_long_list_loads_and_ends_with_every_row(
    qtbot: QtBot, make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(root, "SHOWN_WITH_WINDOW", 1_000)  # N is a long list here
    monkeypatch.setattr(jobs_model, "INSERT_BATCH", 500)
    monkeypatch.setattr(jobs_model, "INSERT_TURN", 0.0)  # one batch per turn: several turns
    data = tmp_path / "data"
    ids = _saved_list(data)
    app = make_app(data_dir=data, start=False)
    rows_when_shown: list[int] = []
    app.window.shown_first_time.connect(lambda: rows_when_shown.append(app.window.model.rowCount()))
    inserts: list[int] = []
    app.window.model.rowsInserted.connect(lambda _p, first, last: inserts.append(last - first + 1))
    resets: list[bool] = []
    app.window.model.modelAboutToBeReset.connect(lambda: resets.append(True))

    app.start()
    assert app.window.isVisible() and rows_when_shown == [0]  # shown before the list was in
    assert app.watchlist.loading
    # An add while the list is read waits for it: the saved job is known, not added again.
    report = app.window.adder.add_text(f"{ids[3]}\n{ids[-1]}")
    assert report.added == () and report.parsed.duplicates == 2
    assert not app.watchlist.loading

    model = app.window.model
    qtbot.waitUntil(lambda: model.incoming == 0 and model.rowCount() == N, timeout=30_000)
    assert model.job_ids() == ids
    assert len(inserts) > 1 and sum(inserts) == N and not resets  # in pieces, never a reset
    assert model.job_at(10).label == "batch 0" and model.job_at(N - 1).state is JobState.SUCCESS
    qtbot.waitUntil(lambda: app.watchlist.history_complete, timeout=30_000)
    assert [e.state for e in app.watchlist.history(ids[-1])] == [
        JobState.PENDING,
        JobState.SUCCESS,
    ]
    assert app.store.count() == N
    close(qtbot, app)
    again = JobStore(data / root.DB_NAME)
    assert [j.job_id for j in again.load_jobs()] == ids  # nothing lost, nothing doubled
    again.close()


def test_a_short_saved_list_is_in_the_table_when_the_window_shows(
    qtbot: QtBot, make_app: AppFactory, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    ids = _saved_list(data)[: root.SHOWN_WITH_WINDOW]
    store = JobStore(data / root.DB_NAME)
    store.remove([j.job_id for j in store.load_jobs()][root.SHOWN_WITH_WINDOW :])
    store.close()
    app = make_app(data_dir=data, start=False)
    rows_when_shown: list[int] = []
    app.window.shown_first_time.connect(lambda: rows_when_shown.append(app.window.model.rowCount()))
    app.start()
    assert rows_when_shown == [len(ids)] and not app.watchlist.loading
    assert app.window.model.job_ids() == ids
