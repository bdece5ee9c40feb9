"""One exception tree for every error answer and fault of the provider's APIs.

::

    ApiError                      base: message, http_status, code, body, rate_limit
    ├── InvalidJobId              400 INVALID_JOB_ID, or refused on the client before sending
    ├── AuthError                 401, or a gateway's 403 {"message": ...}: the key (whole API)
    ├── ForbiddenError            403 FORBIDDEN: the job belongs to another user
    ├── JobNotFound               404 JOB_NOT_FOUND: not found or deleted
    ├── RateLimited               429 RATE_LIMITED: carries retry_after (seconds) when known
    ├── ServerError               500 INTERNAL_ERROR and any other 5xx
    ├── BadResponse               non-JSON, truncated, oversized or shapeless bodies; odd statuses
    │   └── UnsafeRedirect        a redirect away from the API origin (not followed with the key)
    ├── Unreachable               connection refused/reset, DNS, timeouts
    ├── InsecureUrl               plain http:// to a non-loopback host (configuration error)
    ├── InvalidInput              refused on the client before any request: a file name, an
    │                             extension, an option, a URL, a file that vanished or changed
    ├── RequestRefused            a tool or upload endpoint's 4xx with its code (INVALID_URL,
    │   │                         INVALID_FILENAME, INVALID_JSON in body mode, ...)
    │   └── UploadNotFound        delete-upload's 404 {"error": "Upload not found"}
    ├── StorageRefused            the storage origin's S3 XML error (Code, Message); ``expired``
    └── Cancelled                 the caller cancelled an upload

``httpx`` exceptions are mapped here, at the ``api`` boundary, and go no further.
``transient`` says whether the same request may succeed later; ``terminal_for_job`` whether the
job itself is settled (stop polling it).
"""

from __future__ import annotations

from typing import Any

from jobmonitor.api.models import RateLimitInfo


class ApiError(Exception):
    """Base of every error the Status API client raises."""

    transient: bool = False
    terminal_for_job: bool = False
    default_code: str = "ERROR"

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: str | None = None,
        body: dict[str, Any] | None = None,
        job_id: str | None = None,
        rate_limit: RateLimitInfo | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = http_status
        self.code = code or self.default_code
        self.body = body
        self.job_id = job_id
        self.rate_limit = rate_limit

    def error_body(self) -> dict[str, Any]:
        """The API's error body, or one in the same shape for faults that had none."""
        if self.body is not None and "error" in self.body:
            return self.body
        return {"status": "error", "error": self.code, "details": {"message": self.message}}

    def __str__(self) -> str:
        prefix = f"HTTP {self.http_status} " if self.http_status is not None else ""
        return f"{prefix}{self.code}: {self.message}"


class InvalidJobId(ApiError):
    """The id is missing or malformed (400, or refused on the client before any request)."""

    terminal_for_job = True
    default_code = "INVALID_JOB_ID"

    def __init__(self, reason: str, **kwargs: Any) -> None:
        super().__init__(reason, **kwargs)
        self.reason = reason


class AuthError(ApiError):
    """401: the key is missing or wrong. Polling of the whole API pauses until a new key."""

    default_code = "UNAUTHORIZED"


class ForbiddenError(ApiError):
    """403: the job belongs to another user."""

    terminal_for_job = True
    default_code = "FORBIDDEN"


class JobNotFound(ApiError):
    """404 with the API's JSON body: the job is not found or was deleted."""

    terminal_for_job = True
    default_code = "JOB_NOT_FOUND"


class RateLimited(ApiError):
    """429: too many requests. ``retry_after`` is the server's hint in seconds, if it gave one."""

    transient = True
    default_code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    """500 INTERNAL_ERROR or any other 5xx (including a proxy's HTML 502/503/504 page)."""

    transient = True
    default_code = "INTERNAL_ERROR"


class BadResponse(ApiError):
    """The server answered something that is not a Status API answer."""

    transient = True
    default_code = "BAD_RESPONSE"


class UnsafeRedirect(BadResponse):
    """The server redirected away from the API origin; the key is never sent there."""

    default_code = "UNSAFE_REDIRECT"


class Unreachable(ApiError):
    """No answer: connection refused or reset, name resolution failure, timeout."""

    transient = True
    default_code = "UNREACHABLE"


class InsecureUrl(ApiError):
    """The key would travel over plain HTTP to a host that is not loopback."""

    default_code = "INSECURE_URL"


class InvalidInput(ApiError):
    """Refused on the client before any request (nothing is sent, nothing is left behind)."""

    default_code = "INVALID_INPUT"


class RequestRefused(ApiError):
    """A tool or upload endpoint refused the request (a 4xx with the API's code)."""

    default_code = "REQUEST_REFUSED"


class UploadNotFound(RequestRefused):
    """No such upload (or another account's): delete-upload's 404 sentence body."""

    default_code = "UPLOAD_NOT_FOUND"


class StorageRefused(ApiError):
    """The storage origin refused the presigned POST; ``code`` is S3's (AccessDenied, ...)."""

    default_code = "STORAGE_REFUSED"

    @property
    def expired(self) -> bool:
        """The policy (the upload's permission) expired: a new upload is needed."""
        return "expired" in self.message.lower()


class Cancelled(ApiError):
    """The caller cancelled (an upload); nothing was submitted."""

    default_code = "CANCELLED"
