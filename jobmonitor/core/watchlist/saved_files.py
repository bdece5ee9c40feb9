"""The watch list's record of saved result files, for the command line's ``download``.

The app records each result file it saves (table ``saved_files``) and does not fetch a file
again that is still there as saved; ``jobmonitor download`` reads and writes the same record,
so neither fetches again what the other saved. A plain connection to the app's database: a
missing database is created as the app would (``JobStore``); a busy, newer or damaged one is
never repaired or set aside here (that is the app's business): the record is then skipped
and the download simply happens.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path

from jobmonitor.core.paths import data_dir
from jobmonitor.core.watchlist.records import SavedFile

log = logging.getLogger(__name__)

DB_NAME = "jobs.db"  # the app's watch list, in data_dir()
BUSY_TIMEOUT = 5.0  # seconds to wait while the app writes


def watch_list_path(*, demo: bool = False) -> Path:
    return data_dir(demo=demo) / DB_NAME


class SavedFiles:
    """Look-ups and records of saved files; every failure is logged and treated as "none"."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path if path is not None else watch_list_path()
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection | None:
        if self._conn is not None:
            return self._conn
        try:
            if not self.path.exists():
                from jobmonitor.core.watchlist.db import JobStore

                JobStore(self.path).close()  # the app's schema, as the app makes it
            # Any thread (the command's look-ups run on workers), one at a time (self._lock).
            self._conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
            )
        except (sqlite3.Error, OSError) as exc:
            log.info("saved-file record unavailable (%s): %s", self.path, exc)
        return self._conn

    def get(self, job_id: str) -> SavedFile | None:
        """The file last saved for the job, when it is still there as saved."""
        with self._lock:
            return self._get(job_id)

    def _get(self, job_id: str) -> SavedFile | None:
        conn = self._connection()
        if conn is None:
            return None
        try:
            row = conn.execute(
                "SELECT job_id, path, size, saved_at FROM saved_files WHERE job_id = ?", (job_id,)
            ).fetchone()
        except sqlite3.Error as exc:
            log.info("saved-file look-up failed: %s", exc)
            return None
        if row is None:
            return None
        saved = SavedFile(row[0], Path(row[1]), row[2], row[3])
        return saved if saved.exists() else None

    def record(self, saved: SavedFile) -> None:
        with self._lock:
            self._record(saved)

    def _record(self, saved: SavedFile) -> None:
        conn = self._connection()
        if conn is None:
            return
        try:
            conn.execute(
                "INSERT OR REPLACE INTO saved_files (job_id, path, size, saved_at) VALUES (?,?,?,?)",
                (saved.job_id, str(saved.path), saved.size, saved.saved_at),
            )
        except sqlite3.Error as exc:
            log.info("saved-file record failed: %s", exc)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
