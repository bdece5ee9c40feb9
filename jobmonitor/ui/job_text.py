"""How a watched job reads in words: filter categories, status text and the result summary."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import unquote, urlsplit

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.db import WatchedJob


class Category(StrEnum):
    """The filter chips: how the list groups the client's states."""

    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"
    PROBLEM = "problem"

    @property
    def label(self) -> str:
        # The status column says "Succeeded": the chip and the menus say it the same way.
        return "Succeeded" if self is Category.SUCCESS else self.value.capitalize()


def category_of(state: JobState) -> Category:
    if state in (JobState.PENDING, JobState.SUBMITTED, JobState.QUEUED):
        return Category.QUEUED
    if state is JobState.PROCESSING:
        return Category.PROCESSING
    if state is JobState.SUCCESS:
        return Category.SUCCESS
    if state is JobState.FAILED:
        return Category.FAILED
    return Category.PROBLEM  # invalid, forbidden, not found, or a status the API never documented


def status_text(job: WatchedJob) -> str:
    if job.state is JobState.UNKNOWN and job.snapshot is not None:
        return f"Unknown status: {str(job.snapshot.get('status'))[:40]!r}"
    return job.state.label


def result_file_url(job: WatchedJob) -> str | None:
    """The result file's URL of a succeeded job (None for any other job, or without a file)."""
    if job.state is not JobState.SUCCESS:
        return None
    result = (job.snapshot or {}).get("result")
    url = result.get("file") if isinstance(result, dict) else None
    return url if isinstance(url, str) and url else None


def result_text(job: WatchedJob) -> str:
    snap = job.snapshot or {}
    if job.state is JobState.SUCCESS:
        result = snap.get("result")
        if isinstance(result, dict):
            file_url = result.get("file")
            if isinstance(file_url, str) and file_url:
                name = unquote(urlsplit(file_url).path.rsplit("/", 1)[-1]) or "result file"
                return f"File ready: {name}"
            preview = result.get("preview")
            if isinstance(preview, str) and preview.strip():
                return preview.strip().splitlines()[0][:80]
        return "Done"
    if job.state is JobState.FAILED:
        error = snap.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"]).splitlines()[0][:120]
        return "Failed"
    if job.state.is_problem and job.error_body is not None:
        details = job.error_body.get("details")
        if isinstance(details, dict) and details.get("message"):
            return str(details["message"])[:120]
    message = snap.get("message")
    return str(message)[:120] if isinstance(message, str) else ""


_UPPER = {"id", "url", "uri", "http", "mb", "kb", "gb", "json", "csv", "xml", "utc"}


def field_name(key: str) -> str:
    """``request_id`` -> ``Request ID``, ``limit_mb`` -> ``Limit MB``: field names as words."""
    words = [w.upper() if w.lower() in _UPPER else w for w in key.replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else key
