"""The watch list's database when another process holds it, or a newer app wrote it (issue 12,
item 6): busy is waited for and then said; a newer schema is left in place; only a file that is
no database, or fails its integrity check, is set aside."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.opening import StoreBusy, StoreNewer
from jobmonitor.core.watchlist.records import WatchedJob

JOB = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


def a_list(path: Path) -> None:
    store = JobStore(path)
    store.add_jobs([WatchedJob(JOB, position=0, added_at=1.7e9)])
    store.close()


def leftovers(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if ".corrupt-" in p.name)


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's write transaction (a second connection: SQLite locks per connection)."""
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO history VALUES ('x', 'pending', 0)")
    return other


def test_a_list_held_by_another_writer_is_in_use_not_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    a_list(path)
    other = hold_write_lock(path)
    try:
        with pytest.raises(StoreBusy) as caught:
            JobStore(path, busy_timeout=0.2)
    finally:
        other.rollback()
        other.close()
    assert "in use by another Job Monitor" in str(caught.value)
    assert leftovers(path) == []  # nothing set aside, no empty list started
    store = JobStore(path)
    assert [job.job_id for job in store.load_jobs()] == [JOB]
    store.close()


def test_a_lock_released_within_the_wait_is_waited_for(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    a_list(path)
    other = hold_write_lock(path)
    locked = threading.Event()

    def release_soon() -> None:
        locked.wait(0.3)  # the store is waiting on the lock by then (it waits up to 30 s)
        other.rollback()
        other.close()

    releaser = threading.Thread(target=release_soon)
    releaser.start()
    try:
        store = JobStore(path, busy_timeout=30)
    finally:
        releaser.join()
    assert [job.job_id for job in store.load_jobs()] == [JOB]
    store.close()
    assert leftovers(path) == []


def test_a_list_from_a_newer_version_is_left_in_place(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    a_list(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreNewer) as caught:
        JobStore(path)
    assert "newer version of Job Monitor" in str(caught.value)
    assert path.read_bytes() == before and leftovers(path) == []


def test_a_file_that_is_no_database_is_still_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "jobs.sqlite3"
    path.write_bytes(b"this is not SQLite, it is a text file of some length" * 100)
    store = JobStore(path)
    assert store.set_aside is not None and store.notice is not None
    assert store.load_jobs() == []
    store.close()
    assert len(leftovers(path)) == 1
