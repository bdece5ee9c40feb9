"""What went wrong with a job, as named fields: for the details panel and the CSV export."""

from __future__ import annotations

import json
from typing import Any

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.db import WatchedJob


def as_text(value: Any) -> str:
    """A string as it is; anything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def failure_fields(job: WatchedJob) -> list[tuple[str, str]]:
    """(name, text) rows of a job's failure, empty when it has none.

    A failed job: Code, Message, Line, Column, then every other detail. An error answer of the
    API (400/403/404, or the last failed check of a job still open): Code, Message, HTTP status,
    and a note when the check will be retried.
    """
    error = (job.snapshot or {}).get("error") if job.state is JobState.FAILED else None
    if isinstance(error, dict):
        raw_details = error.get("details")
        details: dict[str, Any] = raw_details if isinstance(raw_details, dict) else {}
        rows: list[tuple[str, str]] = [
            ("Code", as_text(error.get("code", "UNKNOWN_ERROR"))),
            ("Message", as_text(error.get("message", ""))),
        ]
        for key in ("line", "column"):
            if key in details:
                rows.append((key.capitalize(), as_text(details[key])))
        rows += [(str(k), as_text(v)) for k, v in details.items() if k not in ("line", "column")]
        if raw_details is not None and not isinstance(raw_details, dict):
            rows.append(("Details", as_text(raw_details)))
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
