"""The watch list on disk: one SQLite file (WAL) holding watched jobs, their status history, the
result files saved for them and the input each was given (``job_inputs``)."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from pathlib import Path

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist import bulk, job_inputs
from jobmonitor.core.watchlist.job_inputs import JobInput
from jobmonitor.core.watchlist.opening import (
    DEFAULT_BUSY_TIMEOUT,
    Corrupt,
    StoreError,
    StoreNewer,
    damaged,
    refusal,
)
from jobmonitor.core.watchlist.records import (
    STATE_VALUE,
    STATES,
    HistoryEntry,
    SavedFile,
    WatchedJob,
    loads_all,
    row_of,
    snapshot_of,
    state_of,
)

log = logging.getLogger(__name__)

# 1: jobs, history, saved_files. 2: job_inputs (what each job was given); a version 1 file gains
# the table on opening, its rows untouched. pending_uploads came later without a new version: an
# older app that opens the file ignores the table, and loses nothing by doing so.
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
CREATE TABLE IF NOT EXISTS pending_uploads (
    upload_id  TEXT PRIMARY KEY,
    base_url   TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    opened_at  REAL NOT NULL
);
"""
    + job_inputs.SCHEMA
)

_JOB_COLUMNS = (
    "job_id, position, label, added_at, state, snapshot, error_body, error_code, "
    "http_status, last_checked, created_at, updated_at"
)


# Written a chunk of rows per statement (bulk.py): row by row, a busy GUI thread held the
# writer up at every row.
# The text a chunk is cut by: the label and the saved answers (ids and states are short).
_JOBS = bulk.Insert("jobs", tuple(_JOB_COLUMNS.split(", ")), "INSERT OR REPLACE", (2, 5, 6, 7))
_HISTORY = bulk.Insert("history", ("job_id", "state", "at"), text=())


def _delete_ids(conn: sqlite3.Connection, ids: Sequence[str]) -> None:
    """The jobs and their history, by id: the ids as one JSON array (one bound value; binding
    50,000 took longer than deleting), else one statement per id (SQLite built without JSON)."""
    as_json = json.dumps(list(ids))
    for table in ("jobs", "history"):
        try:
            conn.execute(
                f"DELETE FROM {table} WHERE job_id IN (SELECT value FROM json_each(?))",
                (as_json,),
            )
        except sqlite3.OperationalError:
            conn.executemany(f"DELETE FROM {table} WHERE job_id = ?", ((j,) for j in ids))


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    """Columns added to ``job_inputs`` since a file was made (each one nullable)."""
    have = {row[1] for row in conn.execute("PRAGMA table_info(job_inputs)")}
    for name, kind in job_inputs.ADDED_COLUMNS:
        if name not in have:
            conn.execute(f"ALTER TABLE job_inputs ADD COLUMN {name} {kind}")


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
            _add_missing_columns(conn)
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
        snapshots = loads_all([r[5] for r in rows])
        errors = loads_all([r[6] for r in rows])
        return [
            WatchedJob(
                r[0],
                r[1],
                r[3],
                state_of(r[4]),
                r[2],
                snapshot_of(r[0], snap, r[8]),
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
        states = STATES
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
        return [HistoryEntry(state_of(s), at) for s, at in rows]

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

    def pending_uploads(self, base_url: str) -> list[tuple[str, str, float]]:
        """Uploads asked of ``base_url`` that no job took and none deleted: (id, name, when)."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT upload_id, name, opened_at FROM pending_uploads WHERE base_url = ? "
                "ORDER BY opened_at",
                (base_url,),
            ).fetchall()
        return [(str(r[0]), str(r[1]), float(r[2])) for r in rows]

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
        """Apply a batch of changes in one transaction (100,000 new jobs are one commit)."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                if remove:
                    _delete_ids(conn, remove)
                if upsert:
                    bulk.insert(conn, _JOBS, [row_of(job) for job in upsert])
                value = STATE_VALUE.__getitem__
                rows = [(job_id, value(e.state), e.at) for job_id, e in history]
                if rows:
                    bulk.insert(conn, _HISTORY, rows)
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
        self.record_saved_many([saved])

    def record_saved_many(self, saved: Sequence[SavedFile]) -> None:
        """Where these files were saved, in one transaction (Download all's batch of files)."""
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                conn.executemany(
                    "INSERT OR REPLACE INTO saved_files (job_id, path, size, saved_at) "
                    "VALUES (?,?,?,?)",
                    ((s.job_id, str(s.path), s.size, s.saved_at) for s in saved),
                )
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def record_input(self, record: JobInput) -> None:
        with self._lock:
            self._conn.execute(
                f"INSERT OR REPLACE INTO job_inputs ({job_inputs.COLUMNS}) "
                "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                job_inputs.to_row(record),
            )

    def open_upload(self, upload_id: str, base_url: str, name: str, at: float) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO pending_uploads (upload_id, base_url, name, opened_at) "
                "VALUES (?,?,?,?)",
                (upload_id, base_url, name, at),
            )

    def settle_upload(self, upload_id: str) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM pending_uploads WHERE upload_id = ?", (upload_id,))

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
