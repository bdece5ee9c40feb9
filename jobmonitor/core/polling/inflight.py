"""The scheduler's requests in flight, whether another may go out (slot fairness), and what a
poll's unforeseen exception becomes (``as_api_error``: the transient fault of that one job).

``max_concurrency`` requests may be out at once. A request out longer than ``slow_after`` clock
seconds no longer counts against that limit, up to ``SLOW_EXTRA`` times as many again: a status
answer takes milliseconds, so one still coming after seconds is a server trickling its body, and
16 such jobs used to hold every slot while healthy jobs were polled once a minute instead of every
3 s. The API client's total deadline ends each slow request in the end; the job then backs off.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Hashable, Iterator

from jobmonitor.api.errors import ApiError, BadResponse

log = logging.getLogger("jobmonitor.core.polling.scheduler")

SLOW_EXTRA = 3  # slow requests may hold up to this many times max_concurrency more sockets


Request = asyncio.Task[None] | Hashable  # a task of the scheduler's, or a poll lane's ticket


class InFlight:
    """Requests owned by the scheduler (its tasks, or the poll lane's tickets), with the clock
    time each went out."""

    def __init__(self, max_concurrency: int, slow_after: float) -> None:
        self.max_concurrency = max(1, max_concurrency)
        self.slow_after = slow_after
        self._sent_at: dict[Request, float] = {}

    def add(self, request: Request, now: float) -> None:
        self._sent_at[request] = now

    def discard(self, request: Request) -> None:
        self._sent_at.pop(request, None)

    def __contains__(self, request: object) -> bool:
        return request in self._sent_at

    def __len__(self) -> int:
        return len(self._sent_at)

    def __iter__(self) -> Iterator[Request]:
        return iter(list(self._sent_at))

    def _cap(self) -> int:
        return self.max_concurrency * (1 + SLOW_EXTRA)

    def slot_free(self, now: float) -> bool:
        """Whether another request may go out now."""
        total = len(self._sent_at)
        if total < self.max_concurrency:
            return True
        if total >= self._cap():
            return False
        slow = sum(1 for sent in self._sent_at.values() if now - sent >= self.slow_after)
        return total - slow < self.max_concurrency

    def until_slow(self, now: float) -> float | None:
        """Clock seconds until a request out turns slow and frees a slot (None: none will; wait
        for one to end)."""
        if len(self._sent_at) >= self._cap():
            return None
        waits = [
            s + self.slow_after - now for s in self._sent_at.values() if s + self.slow_after > now
        ]
        return min(waits) if waits else None


def as_api_error(job_id: str, exc: Exception) -> ApiError:
    """``exc`` when it is an ApiError; anything else (a bug, an answer nobody foresaw) is logged
    with its traceback and becomes a transient fault of this job, so the job backs off and the
    scheduler goes on."""
    if isinstance(exc, ApiError):
        return exc
    log.error("unexpected fault polling job %s", job_id, exc_info=exc)
    error = BadResponse(f"unexpected fault ({type(exc).__name__}: {str(exc)[:200]})", job_id=job_id)
    error.__cause__ = exc
    return error


__all__ = ["SLOW_EXTRA", "InFlight", "as_api_error"]
