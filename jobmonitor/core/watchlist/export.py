"""The watch list as CSV, for a spreadsheet, a ticket or a script (File › Export list as CSV).

One row per job: id, label, status (the machine name and the words the window shows), the
failure (code, message, line, column, HTTP status), the API's times and the last check in UTC
(ISO 8601), the result file's URL and where it was saved. Written to a temporary file beside the
target and renamed over it, so a full disk leaves the old file as it was.

Text a spreadsheet would run as a formula (a cell starting with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return) gets a leading apostrophe: labels are typed by anyone and error
messages come from the server.
"""

from __future__ import annotations

import contextlib
import csv
import os
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.failure import failure_fields
from jobmonitor.core.watchlist.records import WatchedJob

COLUMNS = (
    "job_id",
    "label",
    "status",
    "status_text",
    "error_code",
    "error_message",
    "line",
    "column",
    "http_status",
    "created_utc",
    "updated_utc",
    "last_checked_utc",
    "result_file_url",
    "saved_as",
)
PROGRESS_ROWS = 5_000
STEP_ROWS = 100  # rows between calls of ``pause`` (about a millisecond of Python)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def job_row(job: WatchedJob, status_text: str, saved_as: Path | None = None) -> dict[str, str]:
    """One job's row, keyed by ``COLUMNS``."""
    return dict(zip(COLUMNS, row_values(job, status_text, saved_as), strict=True))


def row_values(job: WatchedJob, status_text: str, saved_as: Path | None = None) -> list[str]:
    """One job's row in ``COLUMNS`` order (a list: csv.writer takes it as it is)."""
    failure = dict(failure_fields(job))
    result = job.snapshot.result if job.snapshot is not None else None
    file_url = result.file if result is not None and job.state is JobState.SUCCESS else None
    row = [
        job.job_id,
        job.label,
        job.state.value,
        status_text,
        failure.get("Code", ""),
        failure.get("Message", ""),
        failure.get("Line", ""),
        failure.get("Column", ""),
        str(job.http_status) if job.http_status is not None else "",
        _utc(job.created_at),
        _utc(job.updated_at),
        _utc(job.last_checked),
        file_url if isinstance(file_url, str) else "",
        str(saved_as) if saved_as is not None else "",
    ]
    return ["'" + value if value.startswith(_FORMULA_START) else value for value in row]


def write_csv(
    path: Path,
    jobs: Iterable[WatchedJob],
    *,
    status_text: Callable[[WatchedJob], str],
    saved_as: Callable[[str], Path | None] = lambda _job_id: None,
    progress: Callable[[int], None] = lambda _written: None,
    pause: Callable[[], object] | None = None,
) -> int:
    """Write ``jobs`` to ``path`` (replacing it only once complete); return how many.
    ``progress(written)`` is called every ``PROGRESS_ROWS`` rows, ``pause()`` (if given) every
    ``STEP_ROWS`` rows: a worker thread sleeps there, so the GUI thread gets the interpreter.

    Raises OSError as the OS does (disk full, no permission, a folder that is gone).
    """
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    count = 0
    try:
        # utf-8-sig: spreadsheet apps then read the text as UTF-8, not the system code page.
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(COLUMNS)
            for job in jobs:
                writer.writerow(row_values(job, status_text(job), saved_as(job.job_id)))
                count += 1
                if count % PROGRESS_ROWS == 0:
                    progress(count)
                if pause is not None and count % STEP_ROWS == 0:
                    pause()
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return count


def _utc(epoch: float | None) -> str:
    if epoch is None:
        return ""
    try:
        return (
            datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        )
    except (OverflowError, OSError, ValueError):
        return ""
