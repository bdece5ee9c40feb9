"""Simulated jobs and their wire form, result-file records, and rate-limit headers."""

from __future__ import annotations

import hashlib
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from jobmonitor.sim.limits import WINDOW

SEED_ERRORS = {  # the provider's documented error bodies, verbatim
    400: ("INVALID_JOB_ID", "job_id is required"),
    401: ("UNAUTHORIZED", "Missing authorizer context"),
    403: ("FORBIDDEN", "Access denied"),
    404: ("JOB_NOT_FOUND", "Job not found"),
    429: ("RATE_LIMITED", "Too many status requests. Please slow down."),
    500: ("INTERNAL_ERROR", "Failed to process job"),
}
MESSAGES = {
    "accepted": "Your job was accepted.",
    "queued": "Your job is queued.",
    "processing": "Your job is being processed.",
}
# The server's own check, like the provider's: a UUID, any letter case (ids are case-insensitive).
JOB_ID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.ASCII)
# The submission pages' ids (``job-12345-abcde``): kept exactly as issued.
OTHER_JOB_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,128}", re.ASCII)


def canonical_job_id(raw: str) -> str | None:
    """A UUID lower-cased, another id of the allowed characters as given, else None."""
    text = raw.strip()
    if JOB_ID_RE.fullmatch(text.lower()) is not None:
        return text.lower()
    return text if OTHER_JOB_ID_RE.fullmatch(text) is not None else None


def error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """The documented error body for an HTTP status of the error table."""
    code, default = SEED_ERRORS[status]
    return {"status": "error", "error": code, "details": {"message": message or default}}


def _wire_number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


@dataclass
class SimJob:
    """One job: its timeline (from ``created`` on the world's clock), owner and outcome."""

    job_id: str
    owner: str
    created: float
    queued_for: float
    processing_for: float
    outcome: str
    retry_after: float | None
    error_code: str
    error_message: str
    error_details: dict[str, Any]
    preview: str
    file_name: str
    file_size: int | None
    unknown_status: str | None
    content_disposition: str | None
    extra_result: dict[str, Any]
    accepted_for: float = 0.0  # "accepted" (submitted, not yet queued) before "queued"
    content: bytes | None = None  # the result file (a tool's real output) when not the preview
    deleted: bool = False
    file_version: int = 0
    token: str | None = None
    tokens_issued: int = 0

    @property
    def finish_time(self) -> float:
        return self.created + self.accepted_for + self.queued_for + self.processing_for

    def phase(self, now: float) -> tuple[str, float]:
        """(status, updated_at) at wall-clock time ``now``."""
        queued_at = self.created + self.accepted_for
        if now < queued_at:
            return "accepted", self.created
        if now < queued_at + self.queued_for:
            return "queued", queued_at
        if now < self.finish_time:
            return self.unknown_status or "processing", queued_at + self.queued_for
        return self.outcome, self.finish_time

    def view(self, now: float, file_url: Callable[[], str]) -> dict[str, Any]:
        """The 200 answer about this job at ``now``, shaped like the provider's examples."""
        status, updated = self.phase(now)
        view: dict[str, Any] = {
            "job_id": self.job_id,
            "status": status,
            "created_at": int(self.created),
            "updated_at": int(updated),
        }
        if status == "success":
            view["result"] = {
                "request_id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.job_id)),
                "status": "success",
                "file": file_url(),
                "preview": self.preview,
                **self.extra_result,
            }
        elif status == "failed":
            view["error"] = {
                "code": self.error_code,
                "message": self.error_message,
                "details": dict(self.error_details),
            }
        else:
            view["message"] = MESSAGES.get(status, f"Your job is {status}.")
            if self.retry_after is not None:
                view["retry_after"] = _wire_number(self.retry_after)
        return view

    def file_spec(self) -> FileSpec:
        content = self.content
        if content is None and self.file_size is None:
            content = self.preview.encode()
        size = len(content) if content is not None else self.file_size or 0
        return FileSpec(
            self.job_id,
            self.file_name,
            size,
            self.file_version,
            self.finish_time,
            content,
            self.content_disposition,
        )


@dataclass(frozen=True, slots=True)
class FileSpec:
    """A result file: small JSON (``content``) or generated bytes of ``size``."""

    job_id: str
    name: str
    size: int
    version: int
    modified: float
    content: bytes | None = None
    disposition: str | None = None

    @property
    def etag(self) -> str:
        digest = hashlib.sha1(f"{self.job_id}:{self.size}:{self.version}".encode()).hexdigest()
        return f'"{digest[:20]}"'


@dataclass(frozen=True, slots=True)
class FileLookup:
    status: int  # 200, or 404 unknown, or 403/410 expired
    file: FileSpec | None = None


def rate_limit_headers(
    style: str, limit: int, remaining: int, reset: float, now: float
) -> dict[str, str]:
    """Rate-limit headers in one of the styles servers use ("x", "x-epoch", "ietf", "ietf-draft")."""
    secs = max(math.ceil(reset), 1)
    if style == "ietf":
        return {
            "RateLimit": f'"default";r={remaining};t={secs}',
            "RateLimit-Policy": f'"default";q={limit};w={int(WINDOW)}',
        }
    if style == "ietf-draft":
        return {
            "RateLimit": f"limit={limit}, remaining={remaining}, reset={secs}",
            "RateLimit-Policy": f"{limit};w={int(WINDOW)}",
        }
    reset_value = math.ceil(now + reset) if style == "x-epoch" else secs
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset_value),
    }
