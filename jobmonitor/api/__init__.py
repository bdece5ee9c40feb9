"""Pure async client of the Status API: wire models, the error tree, id validation. No Qt."""

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import (
    ApiError,
    AuthError,
    BadResponse,
    ForbiddenError,
    InsecureUrl,
    InvalidJobId,
    JobNotFound,
    RateLimited,
    ServerError,
    Unreachable,
    UnsafeRedirect,
)
from jobmonitor.api.ids import JobId, normalize_job_id, parse_job_ids
from jobmonitor.api.models import JobError, JobResult, JobSnapshot, JobStatus, RateLimitInfo

__all__ = [
    "ApiError",
    "AuthError",
    "BadResponse",
    "ForbiddenError",
    "InsecureUrl",
    "InvalidJobId",
    "JobError",
    "JobId",
    "JobNotFound",
    "JobResult",
    "JobSnapshot",
    "JobStatus",
    "RateLimitInfo",
    "RateLimited",
    "ServerError",
    "StatusClient",
    "Unreachable",
    "UnsafeRedirect",
    "normalize_job_id",
    "parse_job_ids",
]
