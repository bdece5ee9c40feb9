"""How a watched job reads in words: filter categories, status text and the result summary."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import unquote, urlsplit

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob


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
        return f"Unknown status: {job.snapshot.raw_status[:40]!r}"
    return job.state.label


def result_file_url(job: WatchedJob) -> str | None:
    """The result file's URL of a succeeded job (None for any other job, or without a file)."""
    result = job.snapshot.result if job.snapshot is not None else None
    if job.state is not JobState.SUCCESS or result is None:
        return None
    return result.file or None


def result_text(job: WatchedJob) -> str:
    snap = job.snapshot
    if job.state is JobState.SUCCESS:
        result = snap.result if snap is not None else None
        if result is not None:
            if result.file:
                name = unquote(urlsplit(result.file).path.rsplit("/", 1)[-1]) or "result file"
                return f"File ready: {name}"
            if result.preview and result.preview.strip():
                return result.preview.strip().splitlines()[0][:80]
        return "Done"
    if job.state is JobState.FAILED:
        error = snap.error if snap is not None else None
        if error is not None and error.message:
            return error.message.splitlines()[0][:120]
        return "Failed"
    if job.state.is_problem and job.error_body is not None:
        details = job.error_body.get("details")
        if isinstance(details, dict) and details.get("message"):
            return str(details["message"])[:120]
    message = snap.message if snap is not None else None
    return message[:120] if message else ""


_UPPER = {"id", "url", "uri", "http", "mb", "kb", "gb", "json", "csv", "xml", "utc"}


def field_name(key: str) -> str:
    """``request_id`` -> ``Request ID``, ``limit_mb`` -> ``Limit MB``: field names as words."""
    words = [w.upper() if w.lower() in _UPPER else w for w in key.replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:] if text else key
