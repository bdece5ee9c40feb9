"""The records of the watch list (a job, a history entry, a saved file) and their SQLite row form.

``db.JobStore`` reads and writes them; everything above the store sees only these frozen records.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import MISSING, dataclass, field, fields
from pathlib import Path
from typing import Any

from jobmonitor.api.models import DeferredSnapshot, JobSnapshot
from jobmonitor.core.state import JobState


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


def _fresh_maker() -> Callable[[str, int, float], WatchedJob]:
    """``WatchedJob(job_id, position, added_at)`` in under half the time: a frozen dataclass's
    ``__init__`` sets each of its twelve fields through ``object.__setattr__`` (2.5 us a job,
    a quarter of a second for a 100,000-id paste); here each slot is set by its descriptor."""
    given, others = fields(WatchedJob)[:3], fields(WatchedJob)[3:]
    assert [f.name for f in given] == ["job_id", "position", "added_at"]
    assert all(f.default is not MISSING for f in others), "every other field has a default"
    set_id, set_position, set_added = (getattr(WatchedJob, f.name).__set__ for f in given)
    defaults = [(getattr(WatchedJob, f.name).__set__, f.default) for f in others]
    new = object.__new__

    def fresh(job_id: str, position: int, added_at: float) -> WatchedJob:
        job: WatchedJob = new(WatchedJob)
        set_id(job, job_id)
        set_position(job, position)
        set_added(job, added_at)
        for put, value in defaults:
            put(job, value)
        return job

    return fresh


# A job never polled yet: equal to WatchedJob(job_id, position, added_at).
fresh_job = _fresh_maker()


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


STATES = {s.value: s for s in JobState}  # a dict look-up, not an enum call per row
STATE_VALUE = {s: s.value for s in JobState}  # and back (``.value`` is a property: 1 us)


def state_of(value: str) -> JobState:
    # A state written by a newer version: show it as unknown, keep it.
    return STATES.get(value, JobState.UNKNOWN)


def loads(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def loads_all(texts: list[str | None]) -> list[dict[str, Any] | None]:
    """``loads`` of many: one JSON array parsed in C (100,000 calls of json.loads cost 0.3 s)."""
    present = [t for t in texts if t]
    if not present:
        return [None] * len(texts)
    try:
        values = iter(json.loads("[" + ",".join(present) + "]"))
    except ValueError:  # one bad row: each on its own, the bad one as None
        return [loads(t) for t in texts]
    out: list[dict[str, Any] | None] = []
    for text in texts:
        value = next(values) if text else None
        out.append(value if isinstance(value, dict) else None)
    return out


def snapshot_of(
    job_id: str, raw: dict[str, Any] | None, http_status: int | None
) -> JobSnapshot | None:
    """The saved answer, parsed again by the one parser of the wire format when first read."""
    if raw is None:
        return None
    return DeferredSnapshot.deferred(raw, requested_id=job_id, http_status=http_status or 200)


def dumps(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def row_of(job: WatchedJob) -> tuple[Any, ...]:
    snapshot, error = job.snapshot, job.error_body
    return (
        job.job_id,
        job.position,
        job.label,
        job.added_at,
        STATE_VALUE[job.state],
        None if snapshot is None else dumps(dict(snapshot.raw)),
        None if error is None else dumps(error),
        job.error_code,
        job.http_status,
        job.last_checked,
        job.created_at,
        job.updated_at,
    )
