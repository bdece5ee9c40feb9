"""The client-side vocabulary shared by the scheduler, the store, the CLI and the UI."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jobmonitor.api.errors import ApiError
from jobmonitor.api.models import JobSnapshot, JobStatus


class JobState(StrEnum):
    """What the client knows about a watched job (the API's status plus client-side outcomes)."""

    PENDING = "pending"  # watched, not yet answered
    SUBMITTED = "submitted"  # the API's "accepted": submitted, not yet queued
    QUEUED = "queued"
    PROCESSING = "processing"
    UNKNOWN = "unknown"  # the server sent a status that is not documented
    SUCCESS = "success"
    FAILED = "failed"
    INVALID = "invalid"  # 400 INVALID_JOB_ID
    FORBIDDEN = "forbidden"  # 403: another user's job
    NOT_FOUND = "not_found"  # 404 JOB_NOT_FOUND

    @property
    def terminal(self) -> bool:
        return self in _TERMINAL

    @property
    def is_problem(self) -> bool:
        """Settled without a result the user can use, for reasons other than the job failing."""
        return self in (JobState.INVALID, JobState.FORBIDDEN, JobState.NOT_FOUND)

    @property
    def label(self) -> str:
        return _LABELS[self]

    @classmethod
    def from_status(cls, status: JobStatus) -> JobState:
        return {
            JobStatus.ACCEPTED: cls.SUBMITTED,
            JobStatus.QUEUED: cls.QUEUED,
            JobStatus.PROCESSING: cls.PROCESSING,
            JobStatus.SUCCESS: cls.SUCCESS,
            JobStatus.FAILED: cls.FAILED,
            JobStatus.UNKNOWN: cls.UNKNOWN,
        }[status]

    @classmethod
    def from_error(cls, error: ApiError) -> JobState | None:
        """The terminal state an error answer puts a job in, or None when it is transient/global."""
        from jobmonitor.api.errors import ForbiddenError, InvalidJobId, JobNotFound

        if isinstance(error, InvalidJobId):
            return cls.INVALID
        if isinstance(error, ForbiddenError):
            return cls.FORBIDDEN
        if isinstance(error, JobNotFound):
            return cls.NOT_FOUND
        return None


_TERMINAL = frozenset(
    {JobState.SUCCESS, JobState.FAILED, JobState.INVALID, JobState.FORBIDDEN, JobState.NOT_FOUND}
)
_LABELS = {
    JobState.PENDING: "Waiting for first check",
    JobState.SUBMITTED: "Submitted",
    JobState.QUEUED: "Queued",
    JobState.PROCESSING: "Processing",
    JobState.UNKNOWN: "Unknown status",
    JobState.SUCCESS: "Succeeded",
    JobState.FAILED: "Failed",
    JobState.INVALID: "Invalid id",
    JobState.FORBIDDEN: "Forbidden (another account's job)",
    JobState.NOT_FOUND: "Not found",
}


@dataclass(frozen=True, slots=True)
class JobEvent:
    """One observation of a job by the scheduler.

    ``snapshot`` is set for 200 answers; ``error`` for error answers and faults (a transient
    error leaves ``new == old``). ``observed_at`` is wall-clock epoch seconds.
    """

    job_id: str
    old: JobState
    new: JobState
    observed_at: float
    snapshot: JobSnapshot | None = None
    error: ApiError | None = None

    @property
    def changed(self) -> bool:
        return self.old != self.new


class ApiCondition(StrEnum):
    """The connection state of one API, as the status bar shows it."""

    IDLE = "idle"  # nothing asked yet
    ONLINE = "online"
    UNREACHABLE = "unreachable"
    KEY_MISSING = "key_missing"
    KEY_REJECTED = "key_rejected"
    RATE_LIMITED = "rate_limited"
    PAUSED = "paused"  # paused by the user


@dataclass(frozen=True, slots=True)
class ApiStatus:
    """``since``/``until`` are wall-clock epoch seconds; ``detail`` is a message for people."""

    condition: ApiCondition
    since: float | None = None
    until: float | None = None
    detail: str = ""
