"""What a job was given: the input file (or URL), its fingerprint, the tool and its options.

Recorded when the app submits a job, or when the user attaches the input of a job submitted
elsewhere. Kept in the watch-list database (table ``job_inputs``, schema version 2); like a saved
result file, the record stays when the job leaves the list, so undoing a removal or following a
"Submit again" chain finds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jobmonitor.core.watchlist.input_check import InputFingerprint

SCHEMA = """
CREATE TABLE IF NOT EXISTS job_inputs (
    job_id        TEXT PRIMARY KEY,
    path          TEXT,
    url           TEXT,
    size          INTEGER,
    mtime         REAL,
    sha256        TEXT,
    tool          TEXT,
    options       TEXT NOT NULL DEFAULT '{}',
    submitted_at  REAL,
    previous_job  TEXT,
    attached      INTEGER NOT NULL DEFAULT 0,
    status_url    TEXT
);
CREATE INDEX IF NOT EXISTS job_inputs_previous ON job_inputs(previous_job);
"""

COLUMNS = (
    "job_id, path, url, size, mtime, sha256, tool, options, submitted_at, previous_job, attached, "
    "status_url"
)
# Added to a table that may have been made without it. Adding a column keeps the schema
# version: an older app names its columns, so it reads and writes the file as before.
ADDED_COLUMNS = (("status_url", "TEXT"),)


@dataclass(frozen=True, slots=True)
class JobInput:
    """One job's input. ``attached``: chosen by the user afterwards (nothing known of what was
    submitted, so no fingerprint to compare with); ``previous_job``: the job this one submitted
    again."""

    job_id: str
    path: Path | None = None
    url: str | None = None
    size: int | None = None
    mtime: float | None = None
    sha256: str | None = None
    tool: str | None = None
    options: dict[str, str] = field(default_factory=dict, compare=False)
    submitted_at: float | None = None
    previous_job: str | None = None
    attached: bool = False
    status_url: str | None = None  # the accepted answer's own URL for the job (PROVIDER.md)

    @property
    def fingerprint(self) -> InputFingerprint | None:
        """The file as it was submitted, when that is known."""
        if self.size is None or self.mtime is None or not self.sha256:
            return None
        return InputFingerprint(self.size, self.mtime, self.sha256)

    @property
    def submitted_here(self) -> bool:
        """Submitted by this app (so it can be submitted again with the same tool and options)."""
        return not self.attached and self.tool is not None


def to_row(record: JobInput) -> tuple[Any, ...]:
    return (
        record.job_id,
        str(record.path) if record.path is not None else None,
        record.url,
        record.size,
        record.mtime,
        record.sha256,
        record.tool,
        json.dumps(record.options, ensure_ascii=False, sort_keys=True),
        record.submitted_at,
        record.previous_job,
        int(record.attached),
        record.status_url,
    )


def from_row(row: tuple[Any, ...]) -> JobInput:
    try:
        options = json.loads(row[7] or "{}")
    except ValueError:
        options = {}
    if not isinstance(options, dict):
        options = {}
    return JobInput(
        job_id=row[0],
        path=Path(row[1]) if row[1] else None,
        url=row[2],
        size=row[3],
        mtime=row[4],
        sha256=row[5],
        tool=row[6],
        options={str(k): str(v) for k, v in options.items()},
        submitted_at=row[8],
        previous_job=row[9],
        attached=bool(row[10]),
        status_url=row[11] if isinstance(row[11], str) else None,
    )
