"""The watch list on disk: one SQLite file (WAL) holding watched jobs, their status history, the
result files saved for them and the input each was given (``job_inputs``)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from pathlib import Path
from typing import Any

from jobmonitor.api.models import DeferredSnapshot, JobSnapshot
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist import job_inputs
from jobmonitor.core.watchlist.job_inputs import JobInput
from jobmonitor.core.watchlist.opening import (
    DEFAULT_BUSY_TIMEOUT,
    Corrupt,
    StoreError,
    StoreNewer,
    damaged,
    refusal,
)

log = logging.getLogger(__name__)

# 1: jobs, history, saved_files. 2: job_inputs (what each job was given); a version 1 file gains
# the table on opening, its rows untouched.
SCHEMA_VERSION = 2

_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS jobs (
    job_id        TEXT PRIMARY KEY,
    position      INTEGER NOT NULL,
    label         TEXT NOT NULL DEFAULT '',
    added_at      REAL NOT NULL,
    state         TEXT NOT NULL,
    snapshot      TEXT,
    error_body    TEXT,
    error_code    TEXT,
    http_status   INTEGER,
    last_checked  REAL,
    created_at    REAL,
    updated_at    REAL
);
CREATE TABLE IF NOT EXISTS history (
    job_id  TEXT NOT NULL,
    state   TEXT NOT NULL,
    at      REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS history_job ON history(job_id, at);
CREATE TABLE IF NOT EXISTS saved_files (
    job_id    TEXT PRIMARY KEY,
    path      TEXT NOT NULL,
    size      INTEGER,
    saved_at  REAL NOT NULL
);
"""
    + job_inputs.SCHEMA
)

_JOB_COLUMNS = (
    "job_id, position, label, added_at, state, snapshot, error_body, error_code, "
    "http_status, last_checked, created_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One status transition of a watched job (``at`` is wall-clock epoch seconds)."""

    state: JobState
    at: float


@dataclass(frozen=True, slots=True)
class WatchedJob:
    """A job on the watch list, as the store keeps it and the UI shows it.

    ``snapshot`` is the last 200 answer, parsed (``snapshot.raw`` holds it exactly as the API
    sent it, which is what the database keeps and parses again on load); ``error_body`` the last error
    answer (or the error body of a fault). ``created_at``/``updated_at`` come from the API.
    """

    job_id: str
    position: int
    added_at: float
    state: JobState = JobState.PENDING
    label: str = ""
    snapshot: JobSnapshot | None = field(default=None, compare=False)
    error_body: dict[str, Any] | None = field(default=None, compare=False)
    error_code: str | None = None
    http_status: int | None = None
    last_checked: float | None = None
    created_at: float | None = None
    updated_at: float | None = None


@dataclass(frozen=True, slots=True)
class SavedFile:
    """The result file last saved for a job (kept when the job leaves the list: the file stays)."""

    job_id: str
    path: Path
    size: int | None
    saved_at: float

    def exists(self) -> bool:
        """Whether it is still there, as saved (not deleted, moved away or cut short)."""
        try:
            stat = self.path.stat()
        except (OSError, ValueError):
            return False
        return self.size is None or stat.st_size == self.size


_STATES = {s.value: s for s in JobState}  # a dict look-up, not an enum call per row


def _state(value: str) -> JobState:
    # A state written by a newer version: show it as unknown, keep it.
    return _STATES.get(value, JobState.UNKNOWN)


def _loads(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _loads_all(texts: list[str | None]) -> list[dict[str, Any] | None]:
    """``_loads`` of many: one JSON array parsed in C (100,000 calls of json.loads cost 0.3 s)."""
    present = [t for t in texts if t]
    if not present:
        return [None] * len(texts)
    try:
        values = iter(json.loads("[" + ",".join(present) + "]"))
    except ValueError:  # one bad row: each on its own, the bad one as None
        return [_loads(t) for t in texts]
    out: list[dict[str, Any] | None] = []
    for text in texts:
        value = next(values) if text else None
        out.append(value if isinstance(value, dict) else None)
    return out


def _snapshot(
    job_id: str, raw: dict[str, Any] | None, http_status: int | None
) -> JobSnapshot | None:
    """The saved answer, parsed again by the one parser of the wire format when first read."""
    if raw is None:
        return None
    return DeferredSnapshot.deferred(raw, requested_id=job_id, http_status=http_status or 200)


def _dumps(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _row(job: WatchedJob) -> tuple[Any, ...]:
    return (
        job.job_id,
        job.position,
        job.label,
        job.added_at,
        job.state.value,
        _dumps(dict(job.snapshot.raw) if job.snapshot is not None else None),
        _dumps(job.error_body),
        job.error_code,
        job.http_status,
        job.last_checked,
        job.created_at,
        job.updated_at,
    )


class JobStore:
    """The watch list in SQLite: one connection, WAL, ``synchronous=NORMAL``.

    Callers may use it from one thread at a time (the GUI hands writes to a single worker
    thread so a checkpoint's fsync never stalls the event loop). A corrupt file is renamed to
    ``<name>.corrupt-<timestamp>`` and a fresh database is created; ``notice`` then says so.
    """

    def __init__(self, path: Path, *, busy_timeout: float = DEFAULT_BUSY_TIMEOUT) -> None:
        self.path = path
        self.notice: str | None = None
        self.set_aside: Path | None = None
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError as exc:
            if not damaged(exc):
                raise refusal(path, exc, busy_timeout) from exc
            self._conn = self._recover(exc)

    # -- opening ---------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        # check_same_thread=False: the connection is used by one thread at a time, guarded by
        # self._lock, but that thread is a worker, not the one that opened it.
        # timeout: while another connection writes, wait for it (SQLite's busy handler) before
        # calling the database busy; "database is locked" is no sign of a damaged file.
        conn = sqlite3.connect(
            self.path, timeout=self._busy_timeout, check_same_thread=False, isolation_level=None
        )
        try:
            # The version first, before anything writes: a newer app's file stays as it was.
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise StoreNewer(
                    f"The watch list {self.path} was written by a newer version of Job Monitor "
                    f"(schema {version}; this one knows {SCHEMA_VERSION}). It was left as it is: "
                    "start the newer version, or move the file away to start an empty list."
                )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise Corrupt("integrity check failed")
            # IMMEDIATE: take the write lock first (waiting for it); a deferred BEGIN that reads
            # the schema and then writes is refused at once while another connection writes.
            script = "BEGIN IMMEDIATE;" + _SCHEMA + f"PRAGMA user_version={SCHEMA_VERSION};COMMIT;"
            conn.executescript(script)
            conn.execute("SELECT count(*) FROM jobs").fetchone()
        except BaseException:
            conn.close()
            raise
        return conn

    def _recover(self, error: sqlite3.DatabaseError) -> sqlite3.Connection:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            self.path.rename(aside)
            for suffix in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + suffix)
                if side.exists():
                    side.rename(aside.with_name(aside.name + suffix))
        except OSError as exc:
            raise StoreError(
                f"cannot set aside the unreadable watch list {self.path}: {exc}"
            ) from exc
        log.warning("watch list database unreadable (%s); moved to %s", error, aside)
        self.set_aside = aside
        self.notice = (
            f"The saved watch list could not be read ({error}). It was moved to {aside} "
            "and a new, empty list was started."
        )
        try:
            return self._open()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot create a new watch list at {self.path}: {exc}") from exc

    # -- reading ---------------------------------------------------------------------------

    def load_jobs(self) -> list[WatchedJob]:
        """Every watched job, in list order."""
        with self._lock:
            rows = self._conn.execute(
                f"SELECT {_JOB_COLUMNS} FROM jobs ORDER BY position"
            ).fetchall()
        snapshots = _loads_all([r[5] for r in rows])
        errors = _loads_all([r[6] for r in rows])
        return [
            WatchedJob(
                r[0],
                r[1],
                r[3],
                _state(r[4]),
                r[2],
                _snapshot(r[0], snap, r[8]),
                err,
                r[7],
                r[8],
                r[9],
                r[10],
                r[11],
            )
            for r, snap, err in zip(rows, snapshots, errors, strict=True)
        ]

    def load_history(self) -> dict[str, list[HistoryEntry]]:
        """Every job's status history, oldest first."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT job_id, state, at FROM history ORDER BY job_id, at, rowid"
            ).fetchall()
        states = _STATES
        unknown = JobState.UNKNOWN
        return {
            job_id: [HistoryEntry(states.get(r[1], unknown), r[2]) for r in group]
            for job_id, group in groupby(rows, itemgetter(0))
        }

    def history(self, job_id: str) -> list[HistoryEntry]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT state, at FROM history WHERE job_id = ? ORDER BY at, rowid", (job_id,)
            ).fetchall()
        return [HistoryEntry(_state(s), at) for s, at in rows]

    def load_saved(self) -> dict[str, SavedFile]:
        """The result file last saved for each job, by job id."""
        with self._lock:
            rows = self._conn.execute("SELECT job_id, path, size, saved_at FROM saved_files")
            return {r[0]: SavedFile(r[0], Path(r[1]), r[2], r[3]) for r in rows.fetchall()}

    def load_inputs(self) -> dict[str, JobInput]:
        """What each job was given (submitted by the app, or attached), by job id."""
        with self._lock:
            rows = self._conn.execute(f"SELECT {job_inputs.COLUMNS} FROM job_inputs").fetchall()
        return {r[0]: job_inputs.from_row(r) for r in rows}

    def count(self) -> int:
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM jobs").fetchone()[0])

    def next_position(self) -> int:
        with self._lock:
            value = self._conn.execute("SELECT max(position) FROM jobs").fetchone()[0]
        return 0 if value is None else int(value) + 1

    # -- writing ---------------------------------------------------------------------------

    def write(
        self,
        *,
        upsert: Sequence[WatchedJob] = (),
        history: Iterable[tuple[str, HistoryEntry]] = (),
        remove: Sequence[str] = (),
    ) -> None:
        """Apply a batch of changes in one transaction (10,000 new jobs are one commit)."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                if remove:
                    conn.executemany("DELETE FROM jobs WHERE job_id = ?", ((j,) for j in remove))
                    conn.executemany("DELETE FROM history WHERE job_id = ?", ((j,) for j in remove))
                if upsert:
                    conn.executemany(
                        f"INSERT OR REPLACE INTO jobs ({_JOB_COLUMNS}) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                        (_row(job) for job in upsert),
                    )
                conn.executemany(
                    "INSERT INTO history (job_id, state, at) VALUES (?, ?, ?)",
                    ((job_id, e.state.value, e.at) for job_id, e in history),
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def add_jobs(self, jobs: Sequence[WatchedJob]) -> None:
        """Add new jobs, each with a first history entry at its ``added_at``."""
        self.write(
            upsert=jobs, history=[(j.job_id, HistoryEntry(j.state, j.added_at)) for j in jobs]
        )

    def save(self, job: WatchedJob, *, transition: HistoryEntry | None = None) -> None:
        self.write(upsert=[job], history=[(job.job_id, transition)] if transition else [])

    def remove(self, job_ids: Sequence[str]) -> None:
        self.write(remove=job_ids)

    def record_saved(self, saved: SavedFile) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO saved_files (job_id, path, size, saved_at) VALUES (?,?,?,?)",
                (saved.job_id, str(saved.path), saved.size, saved.saved_at),
            )

    def record_input(self, record: JobInput) -> None:
        with self._lock:
            self._conn.execute(
                f"INSERT OR REPLACE INTO job_inputs ({job_inputs.COLUMNS}) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                job_inputs.to_row(record),
            )

    def checkpoint(self) -> None:
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def close(self) -> None:
        with self._lock:
            try:
                self._conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                log.debug("PRAGMA optimize failed on close", exc_info=True)
            self._conn.close()
