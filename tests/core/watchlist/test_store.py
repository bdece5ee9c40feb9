"""The watch list database: round trips, one-transaction bulk adds, and a corrupt file set aside."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.db import SCHEMA_VERSION, JobStore, StoreNewer
from jobmonitor.core.watchlist.records import HistoryEntry, SavedFile, WatchedJob


def parsed(raw: dict[str, object], job_id: str = "job") -> JobSnapshot:
    """A stored answer as the watch list holds it: parsed by the one wire parser."""
    return JobSnapshot.from_wire(raw, requested_id=job_id)


ID1 = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
ID2 = "b1b2c3d4-e5f6-7890-abcd-ef1234567890"


def _job(job_id: str, position: int, **kw: object) -> WatchedJob:
    return WatchedJob(job_id=job_id, position=position, added_at=1000.0 + position, **kw)  # type: ignore[arg-type]


def test_round_trip_keeps_every_field(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    store = JobStore(db)
    assert store.notice is None
    store.add_jobs([_job(ID1, 0, label="nightly import"), _job(ID2, 1)])
    failed = WatchedJob(
        job_id=ID1,
        position=0,
        added_at=1000.0,
        state=JobState.FAILED,
        label="nightly import",
        snapshot=parsed(
            {"status": "failed", "error": {"code": "INVALID_JSON", "details": {"line": 2}}}, ID1
        ),
        error_body=None,
        error_code="INVALID_JSON",
        http_status=200,
        last_checked=1010.5,
        created_at=990.0,
        updated_at=1005.0,
    )
    store.save(failed, transition=HistoryEntry(JobState.FAILED, 1010.5))
    store.close()

    again = JobStore(db)
    jobs = again.load_jobs()
    assert [j.job_id for j in jobs] == [ID1, ID2]
    assert jobs[0] == failed
    assert jobs[0].snapshot == failed.snapshot
    assert jobs[1].state is JobState.PENDING
    history = again.load_history()
    assert history[ID1] == [
        HistoryEntry(JobState.PENDING, 1000.0),
        HistoryEntry(JobState.FAILED, 1010.5),
    ]
    assert again.history(ID2) == [HistoryEntry(JobState.PENDING, 1001.0)]
    assert again.next_position() == 2
    again.close()


def test_wal_and_schema_version(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    store.close()
    conn = sqlite3.connect(tmp_path / "jobs.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    conn.close()


def test_ten_thousand_jobs_are_one_transaction(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    commits: list[str] = []
    store._conn.set_trace_callback(lambda sql: commits.append(sql) if sql == "COMMIT" else None)
    jobs = [_job(f"{i:08x}-0000-4000-8000-000000000000", i) for i in range(10_000)]
    store.add_jobs(jobs)
    assert commits == ["COMMIT"]
    assert store.count() == 10_000
    store.close()


def test_remove_drops_history_and_restore_brings_it_back(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    store.add_jobs([_job(ID1, 0), _job(ID2, 1)])
    history = store.history(ID1)
    store.remove([ID1])
    assert [j.job_id for j in store.load_jobs()] == [ID2]
    assert store.history(ID1) == []
    store.write(upsert=[_job(ID1, 0)], history=[(ID1, e) for e in history])
    assert [j.job_id for j in store.load_jobs()] == [ID1, ID2]
    assert store.history(ID1) == history
    store.close()


@pytest.mark.parametrize("content", [b"this is not a database at all" * 100, b""])
def test_corrupt_file_is_set_aside(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "jobs.db"
    if content:
        db.write_bytes(content)
    else:  # a real database whose pages were damaged
        store = JobStore(db)
        store.add_jobs([_job(f"{i:08x}-0000-4000-8000-000000000000", i) for i in range(500)])
        store.close()
        data = bytearray(db.read_bytes())
        data[4096 : 4096 * 3] = b"\xff" * (4096 * 2)
        db.write_bytes(bytes(data))
    store = JobStore(db)
    assert store.notice is not None and "could not be read" in store.notice
    assert store.set_aside is not None and store.set_aside.exists()
    assert store.set_aside.name.startswith("jobs.db.corrupt-")
    assert store.load_jobs() == []
    store.add_jobs([_job(ID1, 0)])
    store.close()
    reopened = JobStore(db)
    assert [j.job_id for j in reopened.load_jobs()] == [ID1]
    reopened.close()


def test_newer_schema_is_not_overwritten(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA user_version=99")
    conn.close()
    before = db.read_bytes()
    with pytest.raises(StoreNewer) as caught:  # left in place: never set aside (issue 12)
        JobStore(db)
    assert "newer version" in str(caught.value)
    assert db.read_bytes() == before
    assert not list(tmp_path.glob("jobs.db.corrupt-*"))


def test_saved_files_are_kept_across_reopening_and_checked_against_the_disk(
    tmp_path: Path,
) -> None:
    db = tmp_path / "jobs.db"
    result = tmp_path / "out" / "report.csv"
    result.parent.mkdir()
    result.write_bytes(b"a,b\n1,2\n")
    store = JobStore(db)
    assert store.load_saved() == {}
    store.record_saved(SavedFile(ID1, result, 8, 1234.5))
    store.record_saved(SavedFile(ID2, tmp_path / "gone.bin", 3, 1235.0))
    store.add_jobs([_job(ID1, 0)])
    store.remove([ID1])  # the job leaves the list; its file stays on disk, and so does the record
    store.close()
    saved = JobStore(db).load_saved()
    assert saved == {
        ID1: SavedFile(ID1, result, 8, 1234.5),
        ID2: SavedFile(ID2, tmp_path / "gone.bin", 3, 1235.0),
    }
    assert saved[ID1].exists()
    assert not saved[ID2].exists()  # deleted since
    result.write_bytes(b"a,b\n")  # replaced by something else: not the saved file any more
    assert not saved[ID1].exists()
    assert SavedFile(ID1, result, None, 1.0).exists()  # length unknown: being there is enough


def test_a_database_from_before_saved_files_gets_the_table(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    JobStore(db).close()
    conn = sqlite3.connect(db)
    conn.execute("DROP TABLE saved_files")
    conn.commit()
    conn.close()
    store = JobStore(db)
    assert store.notice is None  # not mistaken for a corrupt file
    store.record_saved(SavedFile(ID1, tmp_path / "x", None, 1.0))
    assert list(store.load_saved()) == [ID1]
