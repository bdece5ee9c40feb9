"""Typed domain objects of the Status API, and the one place the wire format is parsed."""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from enum import StrEnum
from types import MappingProxyType
from typing import Any

# Bounds for server hints: a hint outside them is clamped, never trusted as is.
MIN_RETRY_AFTER = 1.0
MAX_RETRY_AFTER = 600.0
DEFAULT_RETRY_AFTER = 5.0
EPOCH_THRESHOLD = 1e9  # X-RateLimit-Reset above this is an epoch timestamp, not seconds
MAX_COUNT = 2**53  # a count (a limit, a line, a column) beyond this is no count: not trusted


class JobStatus(StrEnum):
    """A job's status as the API reports it. UNKNOWN stands for any value not documented.

    ACCEPTED is the submission answer's status ("submitted, not yet queued", PROVIDER.md): the
    Status page never lists it, but a job just submitted may report it."""

    ACCEPTED = "accepted"
    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @classmethod
    def from_wire(cls, value: object) -> JobStatus:
        if isinstance(value, str):
            try:
                return cls(value.strip().lower())
            except ValueError:
                return cls.UNKNOWN
        return cls.UNKNOWN

    @property
    def terminal(self) -> bool:
        return self in (JobStatus.SUCCESS, JobStatus.FAILED)


def _frozen(mapping: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping))


def _opt_str(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _opt_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        if isinstance(value, int | float):
            number = float(value)  # a 400-digit integer raises OverflowError here
        elif isinstance(value, str):
            number = float(value.strip()[:64])  # no number needs more; nor a huge string's cost
        else:
            return None
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _opt_int(value: object) -> int | None:
    """A whole number within ``MAX_COUNT``, else None (``1e308`` is no line number)."""
    number = _opt_float(value)
    if number is None or abs(number) > MAX_COUNT:
        return None
    return int(number)


def _opt_position(value: object) -> int | None:
    """A line or column: a whole number from 0 to a billion, else None."""
    number = _opt_int(value)
    return number if number is not None and 0 <= number <= 10**9 else None


def clamp_retry_after(value: float | None, default: float = DEFAULT_RETRY_AFTER) -> float:
    """Bound a server's polling hint: missing, zero, negative or absurd values get sane bounds."""
    if value is None or not math.isfinite(value) or value <= 0:
        return default
    return min(max(value, MIN_RETRY_AFTER), MAX_RETRY_AFTER)


@dataclass(frozen=True, slots=True)
class JobResult:
    """The ``result`` of a successful job: the payload the original async job returned."""

    request_id: str | None
    status: str | None
    file: str | None
    preview: str | None
    extra: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> JobResult:
        known = {"request_id", "status", "file", "preview"}
        preview = data.get("preview")
        if preview is not None and not isinstance(preview, str):
            import json  # a structured preview is shown as JSON text

            preview = json.dumps(preview, indent=2, ensure_ascii=False)
        return cls(
            request_id=_opt_str(data.get("request_id")),
            status=_opt_str(data.get("status")),
            file=_opt_str(data.get("file")),
            preview=preview,
            extra=_frozen({k: v for k, v in data.items() if k not in known}),
        )


@dataclass(frozen=True, slots=True)
class JobError:
    """The ``error`` of a failed job: code, message, and line/column when the details have them."""

    code: str
    message: str
    line: int | None = None
    column: int | None = None
    details: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @property
    def extra_details(self) -> Mapping[str, Any]:
        """Details other than line and column; a line or column that is no number ("twelve",
        1e308) stays here, shown as sent rather than dropped."""
        shown = {"line"} if self.line is not None else set()
        if self.column is not None:
            shown.add("column")
        return {k: v for k, v in self.details.items() if k not in shown}

    @classmethod
    def from_wire(cls, data: object) -> JobError:
        if not isinstance(data, Mapping):
            return cls(code="UNKNOWN_ERROR", message=str(data) if data is not None else "")
        details = data.get("details")
        details_map: Mapping[str, Any] = details if isinstance(details, Mapping) else {}
        if details is not None and not isinstance(details, Mapping):
            details_map = {"details": details}
        return cls(
            code=_opt_str(data.get("code")) or "UNKNOWN_ERROR",
            message=_opt_str(data.get("message")) or "",
            line=_opt_position(details_map.get("line")),
            column=_opt_position(details_map.get("column")),
            details=_frozen(details_map),
        )


@dataclass(frozen=True, slots=True)
class JobSnapshot:
    """One 200 answer of the Status API about one job, parsed."""

    job_id: str
    status: JobStatus
    raw_status: str
    created_at: float | None
    updated_at: float | None
    message: str | None
    retry_after: float | None
    result: JobResult | None
    error: JobError | None
    raw: Mapping[str, Any]
    http_status: int = 200
    # What the response said about the rate limit: about the API, not the job (so not compared,
    # and not kept in the watch list).
    rate_limit: RateLimitInfo | None = field(default=None, compare=False)

    @property
    def terminal(self) -> bool:
        return self.status.terminal

    @property
    def poll_interval(self) -> float:
        """The server's hint, bounded; for use when scheduling the next poll."""
        return clamp_retry_after(self.retry_after)

    def raw_dict(self) -> dict[str, Any]:
        """The JSON object exactly as the API returned it (a mutable copy)."""
        import copy

        return copy.deepcopy(dict(self.raw))

    @classmethod
    def from_wire(
        cls,
        data: Mapping[str, Any],
        *,
        requested_id: str,
        http_status: int = 200,
        rate_limit: RateLimitInfo | None = None,
    ) -> JobSnapshot:
        raw_status = data.get("status")
        status = JobStatus.from_wire(raw_status)
        result_data = data.get("result")
        result = JobResult.from_wire(result_data) if isinstance(result_data, Mapping) else None
        error = JobError.from_wire(data["error"]) if data.get("error") is not None else None
        job_id = _opt_str(data.get("job_id")) or requested_id
        if job_id.lower() == requested_id.lower():
            job_id = requested_id  # a UUID is already lower-case; another id is kept as given
        return cls(
            job_id=job_id,
            status=status,
            raw_status=_opt_str(raw_status) or "",
            created_at=_opt_float(data.get("created_at")),
            updated_at=_opt_float(data.get("updated_at")),
            message=_opt_str(data.get("message")),
            retry_after=_opt_float(data.get("retry_after")),
            result=result,
            error=error,
            raw=_frozen(data),
            http_status=http_status,
            rate_limit=rate_limit,
        )


class DeferredSnapshot(JobSnapshot):
    """A ``JobSnapshot`` parsed on first use: a restored list of 100,000 jobs does not pay
    100,000 parses before its window shows (most are never looked at in a session).

    Made by ``deferred``; until an attribute is read, only the raw answer is held. Any read of
    a field parses it with ``JobSnapshot.from_wire`` and fills every slot at once.
    """

    __slots__ = ("_pending",)

    @classmethod
    def deferred(
        cls, data: Mapping[str, Any], *, requested_id: str, http_status: int = 200
    ) -> DeferredSnapshot:
        snap = object.__new__(cls)
        object.__setattr__(snap, "_pending", (data, requested_id, http_status))
        return snap

    def __getattr__(self, name: str) -> Any:
        # Called only for a slot not filled yet (or a name that is no attribute at all).
        try:
            data, requested_id, http_status = object.__getattribute__(self, "_pending")
        except AttributeError:
            raise AttributeError(name) from None
        full = JobSnapshot.from_wire(data, requested_id=requested_id, http_status=http_status)
        for f in fields(JobSnapshot):
            object.__setattr__(self, f.name, getattr(full, f.name))
        object.__delattr__(self, "_pending")
        return object.__getattribute__(self, name)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JobSnapshot):
            return NotImplemented
        names = [f.name for f in fields(JobSnapshot) if f.compare]
        return all(getattr(self, n) == getattr(other, n) for n in names)

    __hash__ = None  # type: ignore[assignment]  # like JobSnapshot's: raw is a mapping


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    """What a response's headers (or a 429 body) said about the rate limit, all in seconds.

    ``limit``: requests allowed per ``window`` seconds. ``remaining``: left in this window.
    ``reset_after``: seconds until the window resets. ``retry_after``: seconds to wait (429).
    Every value is bounded; none is trusted beyond sane limits.
    """

    limit: int | None = None
    remaining: int | None = None
    reset_after: float | None = None
    retry_after: float | None = None
    window: float = 60.0

    @property
    def empty(self) -> bool:
        return self.limit is None and self.remaining is None and self.retry_after is None

    @classmethod
    def from_headers(
        cls, headers: Mapping[str, str], *, now: float, body: Mapping[str, Any] | None = None
    ) -> RateLimitInfo | None:
        """Parse Retry-After, X-RateLimit-*, and the IETF RateLimit / RateLimit-Policy fields.

        ``now`` is the current wall-clock time (epoch seconds), for HTTP dates and epoch resets.
        Returns None when nothing about rate limits was sent.
        """
        lower = {k.lower(): v for k, v in headers.items()}
        retry_after = _parse_retry_after(lower.get("retry-after"), now)
        if retry_after is None and body is not None:
            retry_after = _opt_float(body.get("retry_after"))
            if retry_after is None and isinstance(body.get("details"), Mapping):
                retry_after = _opt_float(body["details"].get("retry_after"))
        limit = _opt_int(lower.get("x-ratelimit-limit"))
        remaining = _opt_int(lower.get("x-ratelimit-remaining"))
        reset = _opt_float(lower.get("x-ratelimit-reset"))
        window = 60.0
        if reset is not None and reset > EPOCH_THRESHOLD:
            reset = reset - now
        ietf = lower.get("ratelimit")
        if ietf:
            fields = _parse_ietf_ratelimit(ietf)
            limit = _opt_int(fields.get("limit")) if limit is None else limit
            remaining = (
                _opt_int(fields.get("r", fields.get("remaining")))
                if remaining is None
                else remaining
            )
            if reset is None:
                reset = _opt_float(fields.get("t", fields.get("reset")))
        policy = lower.get("ratelimit-policy")
        if policy:
            fields = _parse_ietf_ratelimit(policy)
            q = _opt_int(fields.get("q", fields.get("_first")))
            w = _opt_float(fields.get("w"))
            if q is not None and limit is None:
                limit = q
            if w is not None and w > 0:
                window = min(max(w, 1.0), 3600.0)
        if limit is None and remaining is None and retry_after is None and reset is None:
            return None
        if limit is not None and limit <= 0:
            limit = None
        if remaining is not None:
            remaining = max(remaining, 0)
        if reset is not None:
            reset = min(max(reset, 0.0), MAX_RETRY_AFTER * 6)
        if retry_after is not None:
            retry_after = min(max(retry_after, 0.0), MAX_RETRY_AFTER * 6)
        return cls(limit, remaining, reset, retry_after, window)


def _parse_retry_after(value: str | None, now: float) -> float | None:
    if value is None:
        return None
    seconds = _opt_float(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value.strip()[:64])
        if when.tzinfo is None:
            return None
        return when.timestamp() - now
    except (TypeError, ValueError, IndexError, OverflowError):  # year 3000000000: Overflow
        return None


def _parse_ietf_ratelimit(value: str) -> dict[str, str]:
    """Parse both the draft (``limit=10, remaining=5, reset=30``) and the newer structured field
    forms (``"default";r=5;t=30`` and ``"default";q=100;w=60``). The first bare number of the old
    ``RateLimit-Policy: 100;w=60`` form is kept as ``_first``."""
    fields: dict[str, str] = {}
    for part in value.replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            key, _, val = part.partition("=")
            fields.setdefault(key.strip().lower(), val.strip().strip('"'))
        elif "_first" not in fields and _opt_float(part) is not None:
            fields["_first"] = part
    return fields
