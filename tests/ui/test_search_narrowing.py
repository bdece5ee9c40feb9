"""Search as it is typed: a narrowing keystroke picks from the rows shown, a widening one looks
at every row again, and either way the rows shown are exactly those every word matches (in the
id, label or error code, any case), in the order of the sort."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from uihelpers import (
    failed_event,
    many_ids,
    snapshot_event,
)

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui import jobs_model as m
from jobmonitor.ui import jobs_proxy
from jobmonitor.ui.jobs_proxy import JobsFilterProxy

LABELS = ("March invoices", "Payroll EXPORT", "ab-test", "nightly ABC run", "")


def _matches(job: WatchedJob, text: str) -> bool:
    """The search's rule, written out plainly."""
    fields = (job.job_id, job.label, job.error_code or "")
    return all(any(w in f.casefold() for f in fields) for w in text.casefold().split())


def _shown(proxy: JobsFilterProxy) -> list[str]:
    return [proxy.job_id_at(r) for r in range(proxy.rowCount())]


def _expected(model: m.JobsTableModel, text: str, failed_only: bool = False) -> list[str]:
    return [
        j.job_id
        for j in model.rows()
        if _matches(j, text) and (not failed_only or j.state is JobState.FAILED)
    ]


@pytest.fixture
def listed(qtbot: QtBot, watchlist: WatchList) -> tuple[m.JobsTableModel, JobsFilterProxy]:
    ids = many_ids(300)
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    watchlist.add(ids)
    for i, job_id in enumerate(ids):
        if i % 4:
            watchlist.set_label(job_id, f"{LABELS[i % len(LABELS)]} {i}")
    for job_id in ids[::9]:
        watchlist.on_event(failed_event(job_id, JobState.PENDING))  # error code INVALID_JSON
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == 300)
    model.show_changes_now()
    return model, proxy


def test_narrowing_and_widening_show_exactly_what_matches(
    listed: tuple[m.JobsTableModel, JobsFilterProxy], monkeypatch: pytest.MonkeyPatch
) -> None:
    model, proxy = listed
    picked: list[bool] = []
    real = proxy._compute
    monkeypatch.setattr(
        proxy, "_compute", lambda narrow=False: picked.append(narrow) or real(narrow)
    )
    typed = [
        "a",
        "ab",
        "abc",
        "ab",
        "a",
        "",
        "1",
        "12",
        "1 inv",
        "1 invalid_j",
        "1 in",
        "PAY",
        "xyz",
    ]
    for text in typed:
        proxy.set_search_text(text)
        assert _shown(proxy) == _expected(model, text), text
    # "ab", "abc", "12" and "1 invalid_j" pick from the rows shown; the rest look at every row
    # again ("" shows every row: no pass at all)
    assert picked == [
        False,
        True,
        True,
        False,
        False,
        False,
        True,
        False,
        True,
        False,
        False,
        False,
    ]


def test_narrowing_while_sorted_keeps_the_sort_order(
    listed: tuple[m.JobsTableModel, JobsFilterProxy],
) -> None:
    model, proxy = listed
    proxy.sort(m.LABEL, Qt.SortOrder.DescendingOrder)
    proxy.set_category(m.Category.FAILED)
    for text in ("n", "ni", "nig", "ni", "inv", "in"):
        proxy.set_search_text(text)
        assert sorted(_shown(proxy)) == sorted(_expected(model, text, failed_only=True)), text
        labels = [proxy.index(r, m.LABEL).data(m.SortRole) for r in range(proxy.rowCount())]
        assert labels == sorted(labels, reverse=True)


def test_a_row_that_starts_to_match_while_typing_is_found(
    qtbot: QtBot, watchlist: WatchList, listed: tuple[m.JobsTableModel, JobsFilterProxy]
) -> None:
    model, proxy = listed
    proxy.set_search_text("zz")
    assert _shown(proxy) == []
    target = model.job_at(7).job_id
    watchlist.set_label(target, "zzz top")  # the label changes while the search is on
    qtbot.waitUntil(lambda: watchlist.idle and _shown(proxy) == [target])
    proxy.set_search_text("zzz")  # narrows from what is shown, which has it
    assert _shown(proxy) == [target]
    proxy.sort(m.STATUS, Qt.SortOrder.AscendingOrder)
    proxy.set_search_text("z")
    other = model.job_at(8).job_id
    watchlist.on_event(snapshot_event(other, JobState.PENDING, {"status": "processing"}))
    watchlist.set_label(other, "z too")  # while sorted: placed by the re-sort a moment later
    qtbot.waitUntil(lambda: watchlist.idle)
    model.show_changes_now()
    proxy.set_search_text("z t")  # a re-sort is waiting: this looks at every row again
    assert sorted(_shown(proxy)) == sorted([target, other])


def test_a_long_list_is_searched_in_one_turn(
    qtbot: QtBot, watchlist: WatchList, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs_proxy, "SYNC_ROWS", 10)  # a pass over more rows is sliced
    ids = many_ids(200)
    model = m.JobsTableModel(watchlist)
    proxy = JobsFilterProxy(model)
    watchlist.add(ids)
    qtbot.waitUntil(lambda: watchlist.idle and proxy.rowCount() == 200)
    proxy.set_search_text("0000000000f")
    assert not proxy.busy  # the filter is C passes: done in the keystroke's own turn
    assert _shown(proxy) == [i for i in ids if "0000000000f" in i]
