"""A batch of jobs reaches SQLite as one transaction of a few statements (a chunk of rows each,
as one multi-row VALUES), and every value comes back exactly as it went in, the awkward ones too;
a new job is made fast and is the same record."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import FrozenInstanceError, fields
from pathlib import Path

import pytest

from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist import bulk
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.records import HistoryEntry, WatchedJob, fresh_job

AWKWARD = (
    'a "quoted" label with a \\ backslash',
    "zeichen äöü, 漢字 and 😀",
    "tab\tnew line\nand a NUL \x00 inside",
    '{"looks": ["like", "json"]}',
    "",
)


def _job(i: int, **kw: object) -> WatchedJob:
    job_id = f"{i:08x}-0000-4000-8000-{i:012x}"
    return WatchedJob(job_id=job_id, position=i, added_at=1_764_000_000.123456789 + i / 7, **kw)  # type: ignore[arg-type]


def test_a_batch_of_added_jobs_is_one_transaction_of_a_few_statements(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)  # every statement SQLite runs
    jobs = [_job(i) for i in range(5_000)]
    store.write(upsert=jobs, history=[(j.job_id, HistoryEntry(j.state, j.added_at)) for j in jobs])
    pieces = len(bulk.shapes(len(jobs), bulk.CHUNK))
    assert pieces <= math.ceil(len(jobs) / bulk.CHUNK) + bulk.CHUNK.bit_length()
    history_pieces = len(bulk.shapes(len(jobs), bulk.VALUES // 3))  # three columns a row
    assert history_pieces < pieces
    assert statements.count("BEGIN") == 1 and statements.count("COMMIT") == 1
    # a statement per piece of rows in each table, not one per row (executemany's way)
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert len(inserts) == pieces + history_pieces
    assert store.load_jobs() == jobs
    history = store.load_history()
    assert len(history) == len(jobs) and history[jobs[-1].job_id] == [
        HistoryEntry(JobState.PENDING, jobs[-1].added_at)
    ]
    store.close()


def test_answers_saved_among_new_jobs_go_a_chunk_per_statement_too(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    answer = JobSnapshot.from_wire({"status": "processing", "retry_after": 3}, requested_id="x")
    jobs = [
        _job(i, state=JobState.PROCESSING, snapshot=answer) if i % 10 == 0 else _job(i)
        for i in range(5_000)
    ]
    store.write(upsert=jobs)
    inserts = [s for s in statements if s.startswith("INSERT OR REPLACE INTO jobs")]
    assert len(inserts) == len(bulk.shapes(5_000, bulk.CHUNK))  # not one per answered row
    assert store.load_jobs() == jobs
    store.close()


def test_every_value_comes_back_as_it_went_in(tmp_path: Path) -> None:
    db = tmp_path / "jobs.db"
    store = JobStore(db)
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    raw = {"status": "failed", "error": {"code": "X", "message": AWKWARD[2] + AWKWARD[1]}}
    plain = [a for a in AWKWARD if "\x00" not in a]

    def job(i: int) -> WatchedJob:
        chunk = i // bulk.CHUNK  # 0: plain; 1: a NUL in some labels; 2: answers
        label = AWKWARD[2] if chunk == 1 and i % 100 == 0 else plain[i % len(plain)]
        return _job(
            i,
            label=label,
            state=JobState.FAILED,
            snapshot=JobSnapshot.from_wire(raw, requested_id="x") if chunk == 2 else None,
            error_body={"error": {"message": plain[i % len(plain)]}} if i % 2 else None,
            error_code="X" if i % 3 else None,
            http_status=200 if i % 4 else None,
            last_checked=float(i) if i % 5 else None,
            created_at=1e-7 * i,
            updated_at=2.0**60 + i,
        )

    jobs = [job(i) for i in range(2 * bulk.CHUNK + 3)]
    store.write(upsert=jobs)
    store.close()
    # every chunk one statement (the last 3 rows: 2 + 1), the NULs and the long answers too
    assert len([s for s in statements if s.startswith("INSERT")]) == 4
    again = JobStore(db)
    back = again.load_jobs()
    assert back == jobs
    assert [j.error_body for j in back] == [j.error_body for j in jobs]
    assert [j.snapshot.raw for j in back if j.snapshot] == [raw] * 3
    types = again._conn.execute(
        "SELECT DISTINCT typeof(position), typeof(added_at), typeof(label) FROM jobs"
    ).fetchall()
    assert types == [("integer", "real", "text")]
    again.close()


def test_floats_json_has_no_word_for_come_back(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    jobs = [_job(0, last_checked=math.inf), _job(1, last_checked=-math.inf), _job(2)]
    store.write(upsert=jobs)
    assert store.load_jobs() == jobs
    store.close()


def test_long_text_cuts_a_chunk_short_so_no_statement_grows_without_bound() -> None:
    long = "x" * (bulk.CHUNK_TEXT // 3)
    rows = [(str(i), long if i < 7 else "short") for i in range(bulk.CHUNK + 10)]
    cut = bulk.chunks(rows, bulk.CHUNK)
    assert [len(c) for c in cut] == [3, 3, bulk.CHUNK, 4]
    assert [row for c in cut for row in c] == rows  # every row once, in order
    assert all(sum(len(v) for r in c for v in r) < bulk.CHUNK_TEXT + len(long) for c in cut)


def test_statements_come_in_a_few_shapes_whatever_the_batches(tmp_path: Path) -> None:
    # SQLite holds ~2.4 KB per row of each prepared statement, and Python keeps 128 of them:
    # a shape per batch size kept 50-100 MB after a 100,000-id paste.
    store = JobStore(tmp_path / "jobs.db")
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    start = 0
    for size in (1, 7, 300, 999, 1_500, 2_049, 3_333, 40, 41, 42, 43, 44, 45, 46):
        jobs = [_job(i) for i in range(start, start + size)]
        start += size
        store.write(
            upsert=jobs, history=[(j.job_id, HistoryEntry(j.state, j.added_at)) for j in jobs]
        )
    inserts = [s for s in statements if s.startswith("INSERT")]
    shapes = {(s.split(" (")[0], s.count("),(")) for s in inserts}
    # per table: full, then powers of two
    assert len(shapes) <= bulk.CHUNK.bit_length() + (bulk.VALUES // 3).bit_length() + 2
    assert len(store.load_jobs()) == start and len(store.load_history()) == start
    assert bulk.shapes(2 * bulk.CHUNK + 700, bulk.CHUNK) == [bulk.CHUNK] * 2 + [
        512,
        128,
        32,
        16,
        8,
        4,
    ]
    assert bulk.shapes(0, bulk.CHUNK) == []
    store.close()


def test_only_the_columns_named_as_text_count_toward_a_chunk_s_text() -> None:
    long = "x" * (bulk.CHUNK_TEXT // 2)
    rows = [(long, "short", None, 7)] * 5
    assert [len(c) for c in bulk.chunks(rows, bulk.CHUNK, (1, 2))] == [5]
    assert [len(c) for c in bulk.chunks(rows, bulk.CHUNK, (0,))] == [2, 2, 1]
    assert [len(c) for c in bulk.chunks(rows, 2, ())] == [2, 2, 1]  # rows alone
    assert bulk.chunks([], bulk.CHUNK) == []


def test_a_build_that_binds_few_parameters_gets_shorter_statements(tmp_path: Path) -> None:
    store = JobStore(tmp_path / "jobs.db")
    store._conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 999)  # SQLite before 3.32
    statements: list[str] = []
    store._conn.set_trace_callback(statements.append)
    jobs = [_job(i) for i in range(1_000)]
    store.write(upsert=jobs)
    columns = len(store._conn.execute("PRAGMA table_info(jobs)").fetchall())
    most = 999 // columns
    assert len([s for s in statements if s.startswith("INSERT")]) == len(bulk.shapes(1_000, most))
    assert all(s.count("(") <= most + 1 for s in statements if s.startswith("INSERT"))
    assert store.load_jobs() == jobs
    store.close()


def test_a_fresh_job_is_the_dataclass_s_own() -> None:
    made, fresh = WatchedJob("x", 7, 12.5), fresh_job("x", 7, 12.5)
    assert fresh == made and type(fresh) is WatchedJob
    assert [getattr(fresh, f.name) for f in fields(WatchedJob)] == [
        getattr(made, f.name) for f in fields(WatchedJob)
    ]
    with pytest.raises(FrozenInstanceError):
        fresh.label = "changed"  # type: ignore[misc]
