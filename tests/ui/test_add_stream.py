"""Big adds in batches: parsed off the GUI thread, saved one transaction per batch, shown in
pieces without a reset, the selection kept while they land."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel
from pytestqt.qtbot import QtBot
from uihelpers import collect_on_gui_thread, snapshot_event  # noqa: F401 - autouse fixture

from jobmonitor.api.ids import parse_job_ids
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import jobs_model
from jobmonitor.ui.add_jobs import AddReport, JobAdder
from jobmonitor.ui.jobs_model import JobsTableModel
from jobmonitor.ui.jobs_proxy import JobsFilterProxy


def _ids(n: int, start: int = 0) -> list[str]:
    return [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(start, start + n)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    store = JobStore(tmp_path / "jobs.db")
    yield store
    store.close()


@pytest.fixture
def commits(store: JobStore) -> list[str]:
    """Every COMMIT the real SQLite connection runs (its trace callback, on the writer thread)."""
    seen: list[str] = []
    store._conn.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    return seen


@pytest.fixture
def watchlist(store: JobStore) -> Iterator[WatchList]:
    pool = ThreadPoolExecutor(max_workers=1)
    yield WatchList(store, executor=pool)
    pool.shutdown(wait=True)


def test_the_fast_path_finds_what_the_careful_one_does() -> None:
    ids = _ids(50)
    column = "\n".join(ids + ids[:3])
    assert parse_job_ids(column).ids == tuple(ids) and parse_job_ids(column).duplicates == 3
    mixed = column + "\n{" + _ids(1, 99)[0].upper() + "}\nno/pe"
    parsed = parse_job_ids(mixed, known=frozenset(ids[:2]))
    assert parsed.ids == (*ids[2:], _ids(1, 99)[0]) and parsed.duplicates == 5
    assert [r.text for r in parsed.rejected] == ["no/pe"]


def test_a_big_paste_is_parsed_off_the_loop_and_saved_in_few_transactions(
    qtbot: QtBot,
    store: JobStore,
    watchlist: WatchList,
    commits: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs_model, "INSERT_BATCH", 300)
    adder = JobAdder(watchlist)
    model = JobsTableModel(watchlist)
    resets: list[bool] = []
    model.modelAboutToBeReset.connect(lambda: resets.append(True))
    ids = _ids(3_000)
    bad = "0000zzzz-0000-4000-8000-000000000000"  # a UUID with letters no UUID has
    text = "\n".join(ids + ids[:10]) + "\n" + bad
    reports: list[AddReport] = []
    with qtbot.waitSignal(adder.reported, timeout=20_000) as blocker:
        adder.add_text_in_background(text, source="a paste", done=reports.append)
        assert adder.stream.busy and len(watchlist) < len(ids)  # not all at once
    report = blocker.args[0]
    assert reports == [report] and report.added == tuple(ids)
    assert report.parsed.duplicates == 10 and [r.text for r in report.parsed.rejected] == [bad]
    qtbot.waitUntil(lambda: watchlist.idle and model.rowCount() == len(ids), timeout=20_000)
    assert model.job_ids() == ids and store.count() == len(ids)
    assert 1 <= len(commits) <= len(ids) // 100  # batches of ids per transaction, not one each
    assert not resets


def test_one_transaction_for_a_burst_of_answers(
    qtbot: QtBot, watchlist: WatchList, commits: list[str]
) -> None:
    ids = _ids(400)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle)
    before = len(commits)
    body = {"status": "processing", "retry_after": 3}
    for job_id in ids:  # answers handled in one event-loop turn
        watchlist.on_event(snapshot_event(job_id, JobState.PENDING, body))
    qtbot.waitUntil(lambda: watchlist.idle)
    assert len(commits) - before == 1


def test_selection_stays_while_a_big_add_lands(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_model, "INSERT_BATCH", 100)
    monkeypatch.setattr(jobs_model, "INSERT_TURN", 0.0)  # one batch a turn: several turns
    model = JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    selection = QItemSelectionModel(proxy)
    first = _ids(20)
    watchlist.add(first)
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == 20)
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (2, 7):
        selection.select(proxy.index(row, 0), flags)
    inserts: list[int] = []
    proxy.rowsInserted.connect(lambda _p, first, last: inserts.append(last - first + 1))
    more = _ids(2_000, 20)
    with qtbot.waitSignal(watchlist.jobs_added):
        watchlist.add(more)
    assert model.incoming > 0  # saved, landing in the table a batch per turn
    body = {"status": "processing", "retry_after": 3}
    watchlist.on_event(snapshot_event(first[2], JobState.PENDING, body))
    watchlist.on_event(snapshot_event(more[-1], JobState.PENDING, body))  # not shown yet
    qtbot.waitUntil(lambda: watchlist.idle and model.incoming == 0 and proxy.rowCount() == 2020)
    assert len(inserts) > 1 and sum(inserts) == 2000
    chosen = {proxy.job_id_at(i.row()) for i in selection.selectedRows()}
    assert chosen == {first[2], first[7]}
    assert model.job_at(2).state is JobState.PROCESSING
    assert model.job_at(2019).state is JobState.PROCESSING
