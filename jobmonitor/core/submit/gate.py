"""The request budget as submissions see it: a small protocol the scheduler's budget fulfils.

``core.submit`` does not import ``core.polling`` (the rooms of core are independent): the
composition root hands the scheduler's ``RequestBudget`` in as a ``RequestGate``, so every
request to one API (polls, submissions, upload requests) counts against one budget, and a 429
on a submission pauses the polls too. Requests to the storage origin are not the API's and do
not pass the gate.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from jobmonitor.api.errors import ApiError, RateLimited
from jobmonitor.api.models import RateLimitInfo

T = TypeVar("T")
MAX_WAIT_STEP = 1.0  # re-ask the budget at least this often: polls may take the slot first
RATE_LIMIT_TRIES = 4  # a 429 means the request was not taken: trying again is safe


class RequestGate(Protocol):
    """What ``core.polling.budget.RequestBudget`` offers (structurally)."""

    def delay(self, now: float | None = None) -> float: ...

    def record(self, now: float | None = None) -> None: ...

    def observe(self, info: RateLimitInfo | None, now: float | None = None) -> None: ...

    def on_success(self, sent_at: float | None = None, now: float | None = None) -> None: ...

    def on_fault(self, sent_at: float) -> None: ...

    def on_rate_limited(
        self, sent_at: float, retry_after: float | None, now: float | None = None
    ) -> float: ...


class OpenGate:
    """No budget (a one-off command, tests): every request may go at once; counts them."""

    def __init__(self) -> None:
        self.sent = 0
        self.rate_limited = 0

    def delay(self, now: float | None = None) -> float:
        return 0.0

    def record(self, now: float | None = None) -> None:
        self.sent += 1

    def observe(self, info: RateLimitInfo | None, now: float | None = None) -> None:
        return None

    def on_success(self, sent_at: float | None = None, now: float | None = None) -> None:
        return None

    def on_fault(self, sent_at: float) -> None:
        return None

    def on_rate_limited(
        self, sent_at: float, retry_after: float | None, now: float | None = None
    ) -> float:
        self.rate_limited += 1
        return sent_at + (retry_after or 1.0)

    def __repr__(self) -> str:
        return f"OpenGate(sent={self.sent})"


async def through_gate(
    gate: RequestGate,
    call: Callable[[], Awaitable[T]],
    *,
    clock: Callable[[], float] = time.monotonic,
    tries: int = RATE_LIMIT_TRIES,
) -> T:
    """Wait for the budget, send, and tell the budget how it went. ``clock`` must be the
    budget's own (``RequestBudget`` defaults to ``time.monotonic``)."""
    for attempt in range(1, tries + 1):
        # The budget answers "how long until a slot frees", a clock question with no event to
        # wait on; polls may take the slot meanwhile, so ask again after each pause.
        while (wait := gate.delay()) > 0:  # noqa: ASYNC110
            await asyncio.sleep(min(wait, MAX_WAIT_STEP))
        sent_at = clock()
        gate.record(sent_at)
        try:
            result = await call()
        except RateLimited as exc:
            gate.observe(exc.rate_limit)
            gate.on_rate_limited(sent_at, exc.retry_after)
            if attempt == tries:
                raise
            continue
        except ApiError as exc:
            gate.observe(exc.rate_limit)
            if exc.http_status is not None and not exc.transient:
                gate.on_success(sent_at, clock())  # an answer that was not a 429
            else:
                gate.on_fault(sent_at)  # no answer, or a 5xx: a probe it was proved nothing
            raise
        # With the send and answer times the budget measures the round trips its jitter guard
        # is made of (without them a submit-only budget kept the 0.3 s default per window).
        gate.on_success(sent_at, clock())
        return result
    raise AssertionError("unreachable")  # the loop returns or raises
