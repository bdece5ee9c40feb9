"""RequestBudget: one sliding-window request budget per API, adopted from headers, learned from 429s.

The budget answers one question for the scheduler, "how long until the next request may be sent?",
from three sources of a limit (requests per window): the user's setting, the server's rate-limit
headers, and what 429s taught (after a 429 the client knows how many requests it sent in the last
window, which bounds the limit). The effective limit is the lowest one known.

Requests are also spread evenly (at most one per ``window / limit``) so no burst can break a
sliding-window limit, and every window check keeps a small guard for network jitter (a request
sent a hair after the window freed may reach the server a hair before).

With no limit known at all, the budget paces itself at an assumed limit (``ASSUMED_LIMIT``) and,
while demand exceeds it, raises the assumption once the last window holds a full window's worth of
evenly spread requests. Under a sliding window a 429 pauses until the oldest counted request ages
out: early in a session that is most of a minute, but once the window is full of old, spread
requests it is a moment. So the first minute stays at the assumption, and after it the budget
probes upward quickly; the first 429 replaces the assumption with what the server accepted.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

from jobmonitor.api.models import MAX_RETRY_AFTER, RateLimitInfo

WINDOW = 60.0
# Requests per minute assumed while nothing is known: most status endpoints allow several per
# second, and a wrong guess costs a single 429 pause after which the real bound is known.
ASSUMED_LIMIT = 480
ASSUMED_GROWTH = 1.5  # per step while demand exceeds the assumption and the window is full
MAX_ASSUMED_LIMIT = 60_000
DEFAULT_GUARD = 0.3  # seconds added to the window for jitter between our clock and the server's
LATER_429_FACTOR = 0.9  # a 429 under a known limit: the real one is lower (shared key, drift)
FIRST_PAUSE = 60.0  # a 429 without Retry-After: back off about a minute, doubling up to the cap
MAX_PAUSE = MAX_RETRY_AFTER


class RequestBudget:
    """At most ``limit`` requests in any ``window`` seconds, spread evenly; see the module doc."""

    def __init__(
        self,
        limit: int | None = None,
        *,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        guard: float = DEFAULT_GUARD,
        assumed_limit: int = ASSUMED_LIMIT,
    ) -> None:
        self.window = window
        self.guard = guard
        self._clock = clock
        self._sent: deque[float] = deque()
        self.configured: int | None = _positive(limit)
        self.server_limit: int | None = None
        self.learned: int | None = None
        self._assumed = max(1, assumed_limit)
        self._server_blocked_until = -math.inf
        self._episode_end = -math.inf  # sends before this belong to the current 429 episode
        self._episode_limit: int | None = None
        self._pauses = 0  # consecutive 429 pauses, for the doubling backoff

    # -- what is known ----------------------------------------------------------------------
    @property
    def limit(self) -> int | None:
        """The lowest limit known (setting, server, learned); None while nothing is known."""
        known = [v for v in (self.configured, self.server_limit, self.learned) if v is not None]
        return min(known) if known else None

    @property
    def pacing_limit(self) -> int:
        """The limit requests are paced at: the known one, else the current assumption."""
        limit = self.limit
        return limit if limit is not None else self._assumed

    def set_configured(self, per_window: int | None) -> None:
        self.configured = _positive(per_window)

    @property
    def assumed(self) -> int:
        """The assumption paced at while no limit is known (it grows while no 429 comes)."""
        return self._assumed

    def recall(self, learned: int | None, assumed: int | None) -> None:
        """Start from what an earlier session found out about this API: the limit a 429
        taught, and how far the assumption grew without one (never below the default)."""
        self.learned = _positive(learned)
        if assumed is not None:
            self._assumed = min(max(self._assumed, assumed), MAX_ASSUMED_LIMIT)

    def used(self, now: float | None = None) -> int:
        """Requests sent in the last window."""
        now = self._clock() if now is None else now
        self._expire(now)
        return sum(1 for t in self._sent if t > now - self.window)

    # -- the question the scheduler asks -------------------------------------------------
    def delay(self, now: float | None = None) -> float:
        """Seconds until one more request may be sent (0 when it may go now)."""
        now = self._clock() if now is None else now
        self._expire(now)
        limit = self.pacing_limit
        wait = max(0.0, self._server_blocked_until - now)
        if self._sent:
            spacing = (self.window + self.guard) / limit
            wait = max(wait, self._sent[-1] + spacing - now)
            if len(self._sent) >= limit:
                # The request `limit` sends ago must leave the window (plus the guard) first.
                oldest_that_matters = self._sent[len(self._sent) - limit]
                wait = max(wait, oldest_that_matters + self.window + self.guard - now)
        return wait

    def record(self, now: float | None = None) -> None:
        """A request was sent now."""
        now = self._clock() if now is None else now
        self._sent.append(now)

    def held_back(self, now: float | None = None) -> None:
        """A request was ready but had to wait for the budget: demand exceeds the budget.

        With no limit known, raise the assumption when the last window is filled (to 80 %) with
        requests spread across all of it, so that a 429 would only pause briefly.
        """
        if self.limit is not None:
            return
        now = self._clock() if now is None else now
        self._expire(now)
        full = len(self._sent) >= 0.8 * self._assumed
        if full and self._sent[0] <= now - 0.9 * self.window:
            self._assumed = min(math.ceil(self._assumed * ASSUMED_GROWTH), MAX_ASSUMED_LIMIT)

    # -- what the server said --------------------------------------------------------------
    def observe(self, info: RateLimitInfo | None, now: float | None = None) -> None:
        """Adopt a response's rate-limit headers (any status)."""
        if info is None:
            return
        now = self._clock() if now is None else now
        if info.limit is not None:
            # A limit per some other window is converted to requests per our window.
            per_window = info.limit * self.window / info.window if info.window > 0 else info.limit
            self.server_limit = max(1, math.floor(per_window))
        if info.remaining == 0 and info.reset_after is not None:
            until = now + min(info.reset_after, MAX_PAUSE) + self.guard
            self._server_blocked_until = max(self._server_blocked_until, until)

    def on_success(self) -> None:
        """An answer that was not a 429: the pause backoff starts over."""
        self._pauses = 0

    def on_rate_limited(
        self, sent_at: float, retry_after: float | None, now: float | None = None
    ) -> float:
        """A request sent at ``sent_at`` got a 429. Learn, and return when requests may resume.

        The requests sent in the window before the rejected one were (as far as this client can
        tell) accepted, so their count bounds the limit. Every 429 of one episode (requests sent
        before the first 429 came back) refines the same bound; a 429 in a later episode, under
        a limit already known, means the real limit is lower still.
        """
        now = self._clock() if now is None else now
        self._expire(now)
        sent_before = sum(1 for t in self._sent if sent_at - self.window < t < sent_at)
        bound = max(1, sent_before)
        if sent_at < self._episode_end and self._episode_limit is not None:
            self._episode_limit = min(self._episode_limit, bound)
        else:
            known = self.limit
            if known is not None and bound >= known * LATER_429_FACTOR:
                bound = max(1, math.floor(min(bound, known) * LATER_429_FACTOR))
            self._episode_limit = bound
            self._episode_end = now
            self._pauses += 1
        self.learned = (
            self._episode_limit if self.learned is None else min(self.learned, self._episode_limit)
        )
        if retry_after is not None and math.isfinite(retry_after) and retry_after > 0:
            pause = min(retry_after, MAX_PAUSE) + self.guard
        else:
            pause = min(FIRST_PAUSE * 2 ** max(self._pauses - 1, 0), MAX_PAUSE)
        until = now + pause
        self._server_blocked_until = max(self._server_blocked_until, until)
        return self._server_blocked_until

    @property
    def blocked_until(self) -> float:
        """Monotonic time before which the server asked for no requests (-inf when none)."""
        return self._server_blocked_until

    # -- internals -------------------------------------------------------------------------
    def _expire(self, now: float) -> None:
        horizon = now - self.window - self.guard
        while self._sent and self._sent[0] <= horizon:
            self._sent.popleft()


def _positive(value: int | None) -> int | None:
    return value if value is not None and value > 0 else None
