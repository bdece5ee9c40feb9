"""Building blocks for the UI tests: real stores in tmp dirs, and real API answers as events."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from jobmonitor.api.errors import ForbiddenError
from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.state import JobEvent, JobState

IDS = [f"{i:08x}-0000-4000-8000-00000000000{i % 10}" for i in range(1, 10)]


def many_ids(n: int) -> list[str]:
    """``n`` distinct canonical job ids, in order."""
    return [f"{i:08x}-0000-4000-8000-{i:012x}" for i in range(n)]


def snapshot_event(
    job_id: str, old: JobState, body: dict[str, Any], at: float | None = None
) -> JobEvent:
    """An observation as the scheduler reports it, from an answer in the API's wire format."""
    snap = JobSnapshot.from_wire({"job_id": job_id, **body}, requested_id=job_id)
    new = JobState.from_status(snap.status)
    return JobEvent(job_id, old, new, at if at is not None else time.time(), snapshot=snap)


def failed_event(job_id: str, old: JobState = JobState.PROCESSING) -> JobEvent:
    return snapshot_event(
        job_id,
        old,
        {
            "status": "failed",
            "created_at": 1_700_000_000,
            "updated_at": 1_700_000_030,
            "error": {
                "code": "INVALID_JSON",
                "message": "Unexpected token } in JSON",
                "details": {"line": 2, "column": 5, "offset": 17},
            },
        },
    )


def success_event(job_id: str, old: JobState = JobState.PROCESSING) -> JobEvent:
    return snapshot_event(
        job_id,
        old,
        {
            "status": "success",
            "created_at": 1_700_000_000,
            "updated_at": 1_700_000_060,
            "result": {
                "request_id": "req-1",
                "status": "ok",
                "file": "http://127.0.0.2:9/files/result.csv",
                "preview": '{"rows": 3, "columns": ["a", "b"]}',
            },
        },
    )


def forbidden_event(job_id: str, old: JobState = JobState.PENDING) -> JobEvent:
    body = {"status": "error", "error": "FORBIDDEN", "details": {"message": "not your job"}}
    error = ForbiddenError("not your job", http_status=403, body=body, job_id=job_id)
    return JobEvent(job_id, old, JobState.FORBIDDEN, time.time(), error=error)


@pytest.fixture(autouse=True)
def collect_on_gui_thread(qapp: QApplication) -> Iterator[None]:
    """Collect each test's Qt objects on the GUI thread once it ends.

    Models and views hold each other in reference cycles; left to the garbage collector, they
    may be destroyed on whatever thread it runs on next (the simulator's, in later tests), and
    a QObject destroyed off its thread leaves its running timers behind to fire on freed memory.
    """
    yield
    gc.collect()
