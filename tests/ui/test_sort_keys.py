"""A sort reads its keys a chunk of jobs at a time: the same keys, column by column, as each
cell's SortRole."""

from __future__ import annotations

import pytest
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


@pytest.mark.parametrize("column", range(len(m.HEADERS)))
def test_the_keys_of_a_chunk_are_each_cells_sort_value(
    qtbot: QtBot, watchlist: WatchList, column: int
) -> None:
    dues = {IDS[1]: 2_000_000_000.0, IDS[2]: 1_000_000_000.0}
    model = m.JobsTableModel(watchlist, next_due=dues.get)
    watchlist.add(IDS[:6])
    watchlist.set_label(IDS[0], "Ärger Invoices")
    watchlist.set_label(IDS[3], "payroll")
    watchlist.on_event(failed_event(IDS[0], JobState.PENDING))
    watchlist.on_event(forbidden_event(IDS[1]))
    watchlist.on_event(success_event(IDS[4], JobState.PENDING))
    body = {"status": "processing", "created_at": 1_700_000_000, "updated_at": 1_700_000_009}
    watchlist.on_event(snapshot_event(IDS[2], JobState.PENDING, body))
    qtbot.waitUntil(lambda: watchlist.idle and model.rowCount() == 6)
    model.show_changes_now()
    expected = [model.cell(r, column, m.SortRole) for r in range(6)]
    assert model.sort_keys_of(column)(model.rows()) == expected
    assert len(set(map(str, expected))) > 1 or column in (m.RESULT,)  # the rows differ


@pytest.mark.parametrize("descending", [False, True])
def test_a_sliced_sort_is_the_stable_sort_of_the_rows_each_way(descending: bool) -> None:
    # Runs of 4 chunks merged in neighbouring pairs (an odd one left over) must give exactly
    # Python's stable sort: equal keys (few distinct ones) keep the rows' own order.
    from array import array

    from jobmonitor.core.watchlist.records import fresh_job
    from jobmonitor.ui.rows import CHUNK, sorted_rows

    n = 5 * 4 * CHUNK + 123  # six runs, the last short: three merges, then two, then one
    jobs = [fresh_job(f"{(i * 7919) % 13:02d}-{i}", i, 0.0) for i in range(n)]
    rows = array("i", range(n - 1, -1, -3))  # a subset, in an order of its own
    steps = sorted_rows(rows, jobs, lambda chunk: [j.job_id[:2] for j in chunk], descending)
    turns = 0
    while True:
        try:
            next(steps)
            turns += 1
        except StopIteration as done:
            got = list(done.value)
            break
    want = sorted(rows, key=lambda r: jobs[r].job_id[:2], reverse=descending)
    assert got == want and turns > 10  # in bounded steps, not one call
