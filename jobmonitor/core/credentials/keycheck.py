"""Does the API accept a key? Asked without a real job: one request for an id that cannot exist.

The API authenticates before it looks the job up, so a well-formed id nobody owns answers 404
JOB_NOT_FOUND (or 403) with a good key and 401 with a bad one. One request; the caller's rate
budget is not involved (this is a one-off the user asked for).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import httpx

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import (
    ApiError,
    AuthError,
    BadResponse,
    ForbiddenError,
    InsecureUrl,
    JobNotFound,
    RateLimited,
    ServerError,
    Unreachable,
)
from jobmonitor.core.redact import redact

# Version-4 shaped, all zero otherwise: syntactically valid, and no job will ever have it.
PROBE_JOB_ID = "00000000-0000-4000-8000-000000000000"


class KeyCheckOutcome(StrEnum):
    WORKS = "works"  # the API answered about the probe job: the key was accepted
    REJECTED = "rejected"  # 401: the key is missing or wrong
    RATE_LIMITED = "rate_limited"  # 429: too many requests; the key is probably fine
    UNREACHABLE = "unreachable"  # no usable answer (network, 5xx, garbage, wrong base URL)
    UNCONFIRMED = "unconfirmed"  # an answer that says nothing about the key (e.g. 400)
    BAD_URL = "bad_url"  # the base URL is refused before sending (plain http to a remote host)


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """``detail`` is one line for people; it never contains the key."""

    outcome: KeyCheckOutcome
    detail: str
    http_status: int | None = None
    retry_after: float | None = None

    @property
    def works(self) -> bool:
        return self.outcome is KeyCheckOutcome.WORKS


async def check_key(
    http: httpx.AsyncClient,
    base_url: str,
    key: str,
    *,
    route_template: str | None = None,
    on_route_learned: Callable[[str], None] | None = None,
) -> KeyCheck:
    """Ask the API about ``PROBE_JOB_ID`` with ``key`` and say what the answer means for the key."""
    try:
        client = StatusClient(
            http,
            base_url,
            api_key=key,
            route_template=route_template,
            on_route_learned=on_route_learned,
        )
        await client.get_job(PROBE_JOB_ID)
    except ApiError as exc:
        return _from_error(exc, key)
    return KeyCheck(KeyCheckOutcome.WORKS, "The API accepted the key.", 200)


def _from_error(exc: ApiError, key: str) -> KeyCheck:
    status = exc.http_status
    text = redact(exc.message, extra=[key])
    if isinstance(exc, JobNotFound | ForbiddenError):
        return KeyCheck(
            KeyCheckOutcome.WORKS,
            "The API accepted the key.",
            status,
        )
    if isinstance(exc, AuthError):
        return KeyCheck(
            KeyCheckOutcome.REJECTED,
            # What to do first; the server's own words ("Missing authorizer context") explain
            # nothing to a person, so they come last, for support.
            f"The API rejected this key (HTTP {status}): it may be mistyped, cut short or "
            f"revoked; copy it again from your account. The server said: “{text}”.",
            status,
        )
    if isinstance(exc, RateLimited):
        wait = f" Try again in {exc.retry_after:.0f} s." if exc.retry_after else ""
        return KeyCheck(
            KeyCheckOutcome.RATE_LIMITED,
            "The API is limiting requests right now (429); the key is probably fine." + wait,
            status,
            exc.retry_after,
        )
    if isinstance(exc, InsecureUrl):
        return KeyCheck(KeyCheckOutcome.BAD_URL, f"Not checked: {text}", None)
    if isinstance(exc, Unreachable):
        return KeyCheck(
            KeyCheckOutcome.UNREACHABLE,
            f"Could not reach the API to check the key ({text}). Check the base URL and "
            "the network.",
            status,
        )
    if isinstance(exc, ServerError | BadResponse):
        reason = f"HTTP {status}: {text}" if status else text
        return KeyCheck(
            KeyCheckOutcome.UNREACHABLE,
            f"The API could not answer the check ({reason}); try again in a moment.",
            status,
        )
    return KeyCheck(
        KeyCheckOutcome.UNCONFIRMED,
        f"The API's answer says nothing about the key ({redact(str(exc), extra=[key])}).",
        status,
    )
