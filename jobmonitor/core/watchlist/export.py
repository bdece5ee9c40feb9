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
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def job_row(job: WatchedJob, status_text: str, saved_as: Path | None = None) -> dict[str, str]:
    """One job's row, keyed by ``COLUMNS``."""
    failure = dict(failure_fields(job))
    result = job.snapshot.result if job.snapshot is not None else None
    file_url = result.file if result is not None and job.state is JobState.SUCCESS else None
    row = {
        "job_id": job.job_id,
        "label": job.label,
        "status": job.state.value,
        "status_text": status_text,
        "error_code": failure.get("Code", ""),
        "error_message": failure.get("Message", ""),
        "line": failure.get("Line", ""),
        "column": failure.get("Column", ""),
        "http_status": str(job.http_status) if job.http_status is not None else "",
        "created_utc": _utc(job.created_at),
        "updated_utc": _utc(job.updated_at),
        "last_checked_utc": _utc(job.last_checked),
        "result_file_url": file_url if isinstance(file_url, str) else "",
        "saved_as": str(saved_as) if saved_as is not None else "",
    }
    return {key: _defused(value) for key, value in row.items()}


def write_csv(
    path: Path,
    jobs: Iterable[WatchedJob],
    *,
    status_text: Callable[[WatchedJob], str],
    saved_as: Callable[[str], Path | None] = lambda _job_id: None,
    progress: Callable[[int], None] = lambda _written: None,
) -> int:
    """Write ``jobs`` to ``path`` (replacing it only once complete); return how many.
    ``progress(written)`` is called every ``PROGRESS_ROWS`` rows.

    Raises OSError as the OS does (disk full, no permission, a folder that is gone).
    """
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    count = 0
    try:
        # utf-8-sig: spreadsheet apps then read the text as UTF-8, not the system code page.
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=COLUMNS)
            writer.writeheader()
            for job in jobs:
                writer.writerow(job_row(job, status_text(job), saved_as(job.job_id)))
                count += 1
                if count % PROGRESS_ROWS == 0:
                    progress(count)
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


def _defused(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value
