"""The watch list controller: saved before shown, history of transitions, undo of a removal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot
from uihelpers import (  # noqa: F401 - collect_on_gui_thread is an autouse fixture
    IDS,
    collect_on_gui_thread,
    failed_event,
    forbidden_event,
    snapshot_event,
)

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.watchlist import WatchList


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    store = JobStore(tmp_path / "jobs.db")
    yield store
    store.close()


@pytest.fixture
def executor() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown(wait=True)


def test_added_jobs_are_on_disk_before_the_ui_hears(
    qtbot: QtBot, store: JobStore, executor: ThreadPoolExecutor
) -> None:
    watchlist = WatchList(store, executor=executor)
    seen_on_disk: list[int] = []
    watchlist.jobs_added.connect(lambda jobs: seen_on_disk.append(store.count()))
    with qtbot.waitSignal(watchlist.jobs_added) as blocker:
        assert watchlist.add(IDS[:3] + IDS[:1]) == IDS[:3]
    assert [j.job_id for j in blocker.args[0]] == IDS[:3]
    assert seen_on_disk == [3]
    assert watchlist.add(IDS[:2]) == []


def test_events_record_transitions_once(qtbot: QtBot, store: JobStore) -> None:
    watchlist = WatchList(store)
    watchlist.add(IDS[:1])
    qtbot.waitUntil(lambda: watchlist.idle)
    body = {"status": "processing", "retry_after": 2, "created_at": 1_700_000_000}
    with qtbot.waitSignal(watchlist.jobs_changed):
        watchlist.on_event(snapshot_event(IDS[0], JobState.PENDING, body))
        watchlist.on_event(snapshot_event(IDS[0], JobState.PROCESSING, body))
    with qtbot.waitSignal(watchlist.jobs_changed) as blocker:
        watchlist.on_event(failed_event(IDS[0]))
    job = blocker.args[0][0]
    assert job.state is JobState.FAILED and job.error_code == "INVALID_JSON"
    states = [e.state for e in watchlist.history(IDS[0])]
    assert states == [JobState.PENDING, JobState.PROCESSING, JobState.FAILED]
    assert [e.state for e in store.history(IDS[0])] == states
    assert store.load_jobs()[0].snapshot is not None


def test_error_answers_keep_the_body(qtbot: QtBot, store: JobStore) -> None:
    watchlist = WatchList(store)
    watchlist.add(IDS[:1])
    with qtbot.waitSignal(watchlist.jobs_changed) as blocker:
        watchlist.on_event(forbidden_event(IDS[0]))
    job = blocker.args[0][0]
    assert job.state is JobState.FORBIDDEN
    assert job.http_status == 403 and job.error_code == "FORBIDDEN"
    assert job.error_body == {
        "status": "error",
        "error": "FORBIDDEN",
        "details": {"message": "not your job"},
    }


def test_remove_and_put_back(qtbot: QtBot, store: JobStore, executor: ThreadPoolExecutor) -> None:
    watchlist = WatchList(store, executor=executor)
    watchlist.add(IDS[:4])
    watchlist.set_label(IDS[1], "  invoices  ")
    qtbot.waitUntil(lambda: watchlist.idle)
    with qtbot.waitSignal(watchlist.jobs_removed) as blocker:
        removed = watchlist.remove([IDS[1], IDS[2], "not-watched"])
    assert blocker.args[0] == IDS[1:3]
    assert [j.job_id for j in store.load_jobs()] == [IDS[0], IDS[3]]
    watchlist.on_event(failed_event(IDS[1]))  # an answer that arrives after the removal
    with qtbot.waitSignal(watchlist.jobs_added) as blocker:
        watchlist.put_back(removed)
    assert [j.label for j in blocker.args[0]] == ["invoices", ""]
    assert [j.job_id for j in store.load_jobs()] == IDS[:4]
    assert store.history(IDS[1]) == watchlist.history(IDS[1])
    assert store.load_jobs()[1].state is JobState.PENDING


def test_undo_puts_back_exactly_what_was_removed_even_a_change_not_saved_yet(
    qtbot: QtBot, store: JobStore, executor: ThreadPoolExecutor
) -> None:
    watchlist = WatchList(store, executor=executor)
    watchlist.add(IDS[:3])
    qtbot.waitUntil(lambda: watchlist.idle)
    watchlist.on_event(failed_event(IDS[1]))  # not written yet when its job is removed
    before = [watchlist.get(j) for j in IDS[:3]]
    histories = [watchlist.history(j) for j in IDS[:3]]
    assert len(histories[1]) == 2
    removed = watchlist.remove([IDS[2], IDS[1], IDS[0], IDS[2], "not-watched"])
    assert [j.job_id for j in removed.jobs] == [IDS[2], IDS[1], IDS[0]]
    assert len(watchlist) == 0 and watchlist.history(IDS[1]) == []
    watchlist.put_back(removed)
    qtbot.waitUntil(lambda: watchlist.idle)
    assert [watchlist.get(j) for j in IDS[:3]] == before
    assert [watchlist.history(j) for j in IDS[:3]] == histories
    assert store.load_jobs() == before and store.load_jobs()[1].state is JobState.FAILED
    assert [store.history(j) for j in IDS[:3]] == histories


def test_add_then_remove_in_one_turn_leaves_nothing(qtbot: QtBot, store: JobStore) -> None:
    watchlist = WatchList(store)
    watchlist.add(IDS[:2])
    watchlist.remove(IDS[:1])
    qtbot.waitUntil(lambda: watchlist.idle)
    assert [j.job_id for j in store.load_jobs()] == IDS[1:2]
    assert store.history(IDS[0]) == []


def test_reload_restores_everything(qtbot: QtBot, tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    watchlist = WatchList(store)
    watchlist.add(IDS[:2])
    watchlist.on_event(failed_event(IDS[0], JobState.PENDING))
    qtbot.waitUntil(lambda: watchlist.idle)
    watchlist.flush_now()
    store.close()

    store = JobStore(tmp_path / "jobs.db")
    again = WatchList(store)
    with qtbot.waitSignal(again.jobs_added, timeout=1000) as blocker:
        again.load()
    assert [j.state for j in blocker.args[0]] == [JobState.FAILED, JobState.PENDING]
    assert [e.state for e in again.history(IDS[0])] == [JobState.PENDING, JobState.FAILED]
    ids = again.add([IDS[2]])
    qtbot.waitUntil(lambda: again.idle)
    assert again.get(ids[0]) is not None and again.get(ids[0]).position == 2  # type: ignore[union-attr]
    store.close()


def test_saved_history_is_read_after_start_and_merged_with_new_entries(
    qtbot: QtBot, store: JobStore, executor: ThreadPoolExecutor
) -> None:
    first = WatchList(store)
    first.add(IDS[:2])
    first.on_event(failed_event(IDS[0]))
    qtbot.waitUntil(lambda: first.idle)
    saved = first.history(IDS[0])
    assert [e.state for e in saved] == [JobState.PENDING, JobState.FAILED]

    again = WatchList(store, executor=executor)
    # The writer thread is held until the checks below: a read that finished before load()
    # returned made "still being read" a race the test lost now and then.
    gate = threading.Event()
    executor.submit(gate.wait, 10)
    with qtbot.waitSignal(again.history_loaded):
        again.load()
        assert not again.history_complete  # the window can show before 100,000 histories
        again.on_event(forbidden_event(IDS[1]))  # an answer while it is being read
        gate.set()
    assert again.history_complete and again.history(IDS[0]) == saved
    assert [e.state for e in again.history(IDS[1])] == [JobState.PENDING, JobState.FORBIDDEN]
    qtbot.waitUntil(lambda: again.idle)

    third = WatchList(store, executor=executor)
    third.load()
    removed = third.remove([IDS[0]])  # a removal right away waits for the history: undo has it
    assert list(removed.history[IDS[0]]) == saved
    # The read's own done-callback (a signal of ``third``) still runs on the writer thread: let
    # it finish before ``third`` is deleted with this test (emitting on it meanwhile segfaulted).
    executor.submit(lambda: None).result(timeout=10)


class _InlineExecutor(Executor):
    """Runs each task at once: the history read is done before ``load()`` returns."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        future: Future[object] = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_a_history_read_that_finishes_at_once_is_not_lost(qtbot: QtBot, store: JobStore) -> None:
    # A quick disk could finish the read before load() had listed the jobs, and the merge, which
    # keeps only listed jobs, dropped every saved entry (CI saw an empty history after restart).
    first = WatchList(store)
    first.add(IDS[:1])
    first.on_event(failed_event(IDS[0]))
    qtbot.waitUntil(lambda: first.idle)
    saved = first.history(IDS[0])

    again = WatchList(store, executor=_InlineExecutor())
    again.load()
    assert again.history_complete
    assert again.history(IDS[0]) == saved


def test_a_long_restored_list_reaches_the_scheduler_a_slice_per_turn(
    qtbot: QtBot, store: JobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from jobmonitor.api.client import StatusClient
    from jobmonitor.core.polling.scheduler import PollScheduler
    from jobmonitor.core.watchlist import watchlist as wl

    monkeypatch.setattr(wl, "WATCH_SLICE", 4)
    ids = [f"{n:08x}-e5f6-4890-abcd-ef1234567890" for n in range(10)]
    first = WatchList(store)
    first.add(ids)
    first.on_event(failed_event(ids[1]))
    first.flush_now()
    restored = WatchList(store)
    restored.load()
    scheduler = PollScheduler(StatusClient(httpx.AsyncClient(), "http://127.0.0.1:9"))
    restored.attach_poller(scheduler)
    assert set(scheduler.job_ids) == set(ids[:4])  # the first slice at once, the rest later
    restored.remove([ids[9]])  # removed before its turn came: never watched
    qtbot.waitUntil(lambda: len(scheduler.job_ids) == 9)
    assert set(scheduler.job_ids) == set(ids[:9])
    assert scheduler.state_of(ids[1]) is JobState.FAILED  # a known state, not polled again
    restored.remove(ids[:3])  # watched ones leave the scheduler with them
    assert set(scheduler.job_ids) == set(ids[3:9])
