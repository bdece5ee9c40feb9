"""What went wrong with a job, as named fields: for the details panel and the CSV export."""

from __future__ import annotations

import json
from typing import Any

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob


def as_text(value: Any) -> str:
    """A string as it is; anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def failure_fields(job: WatchedJob) -> list[tuple[str, str]]:
    """(name, text) rows of a job's failure, empty when it has none.

    A failed job: Code, Message, Line, Column, then every other detail. An error answer of the
    API (400/403/404, or the last failed check of a job still open): Code, Message, HTTP status,
    and a note when the check will be retried.
    """
    error = job.snapshot.error if job.snapshot is not None else None
    if error is not None and job.state is JobState.FAILED:
        rows: list[tuple[str, str]] = [("Code", error.code), ("Message", error.message)]
        # Line and column as the API sent them (a value that is no number is shown, not lost).
        for key in ("line", "column"):
            if key in error.details:
                rows.append((key.capitalize(), as_text(error.details[key])))
        rows += [(str(k), as_text(v)) for k, v in error.extra_details.items()]
        return rows
    if job.error_body is not None and (job.state.is_problem or job.error_code):
        body_details = job.error_body.get("details")
        message = (
            body_details.get("message", "") if isinstance(body_details, dict) else body_details
        )
        rows = [
            ("Code", job.error_code or as_text(job.error_body.get("error", ""))),
            ("Message", as_text(message or "")),
        ]
        if job.http_status is not None:
            rows.append(("HTTP status", str(job.http_status)))
        if not job.state.terminal:
            rows.append(("Note", "The last check failed; it will be retried."))
        return rows
    return []
