"""The simulator's rate limiters: the kinds of "requests per minute" real servers enforce.

The Status API says only "too many requests per minute" (CONTRACT.md, Rate limits); servers differ
in what that means, and a client told nothing has to do well against each:

- ``sliding``: at most ``limit`` accepted requests in any 60 s (a request frees its slot 60 s after
  it was accepted);
- ``fixed``: at most ``limit`` per calendar minute of the server's clock (the count starts over on
  every minute boundary, so up to twice the limit can pass in 60 s straddling one);
- ``bucket``: a token bucket refilled at ``limit`` per minute, holding ``bucket_seconds`` worth of
  tokens (a gateway's "rate and burst");
- ``penalty``: a sliding window, but a request over the limit shuts the key out for 60 s
  (``PENALTY``) from that breach: every request in the box is refused, none extends it.

Only accepted requests count against a limit. Each limiter answers ``take(key, now, limit)`` with
(allowed, remaining, seconds until the next request would be accepted); the world renders that as
429s, ``Retry-After`` and rate-limit headers.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Protocol

WINDOW = 60.0  # the limit is per key per minute
PENALTY = 60.0  # seconds a penalty box refuses everything after a breach
DEFAULT_BUCKET_SECONDS = 10.0  # a token bucket holds this many seconds of refill (its burst)
WINDOW_KINDS = ("sliding", "fixed", "bucket", "penalty")


class RateWindow(Protocol):
    def take(self, key: str, now: float, limit: int) -> tuple[bool, int, float]: ...


class SlidingWindow:
    """Requests per key in the last ``WINDOW`` seconds (only accepted requests count)."""

    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}

    def take(self, key: str, now: float, limit: int) -> tuple[bool, int, float]:
        """Count a request if a slot is free: (allowed, remaining, seconds until a slot frees)."""
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - WINDOW:
            hits.popleft()
        allowed = len(hits) < limit
        if allowed:
            hits.append(now)
        reset = hits[0] + WINDOW - now if hits else WINDOW
        return allowed, max(limit - len(hits), 0), reset


class FixedWindow:
    """Requests per key in the current calendar minute (``floor(now / 60)``) of the server's clock."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, int]] = {}  # key -> (minute, accepted in it)

    def take(self, key: str, now: float, limit: int) -> tuple[bool, int, float]:
        minute = math.floor(now / WINDOW)
        current, count = self._counts.get(key, (minute, 0))
        if current != minute:
            count = 0
        allowed = count < limit
        if allowed:
            count += 1
        self._counts[key] = (minute, count)
        reset = (minute + 1) * WINDOW - now
        return allowed, max(limit - count, 0), reset


class TokenBucket:
    """``limit`` tokens a minute, at most ``bucket_seconds`` of them held; a request takes one."""

    def __init__(self, bucket_seconds: float = DEFAULT_BUCKET_SECONDS) -> None:
        self.bucket_seconds = bucket_seconds
        self._state: dict[str, tuple[float, float]] = {}  # key -> (tokens, at)

    def take(self, key: str, now: float, limit: int) -> tuple[bool, int, float]:
        rate = limit / WINDOW  # tokens per second
        capacity = max(1.0, rate * self.bucket_seconds)
        tokens, at = self._state.get(key, (capacity, now))  # a new key starts with a full bucket
        tokens = min(capacity, tokens + max(0.0, now - at) * rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._state[key] = (tokens, now)
        reset = (1.0 - tokens) / rate if tokens < 1.0 else 0.0
        return allowed, math.floor(tokens), reset


class PenaltyBox:
    """A sliding window whose breach refuses every request of that key for ``PENALTY`` seconds."""

    def __init__(self, penalty: float = PENALTY) -> None:
        self.penalty = penalty
        self._window = SlidingWindow()
        self._boxed_until: dict[str, float] = {}

    def take(self, key: str, now: float, limit: int) -> tuple[bool, int, float]:
        until = self._boxed_until.get(key, -math.inf)
        if now < until:
            return False, 0, until - now
        allowed, remaining, reset = self._window.take(key, now, limit)
        if not allowed:
            self._boxed_until[key] = now + self.penalty
            return False, 0, self.penalty
        return allowed, remaining, reset


def make_window(kind: str, bucket_seconds: float = DEFAULT_BUCKET_SECONDS) -> RateWindow:
    """A fresh limiter of one of ``WINDOW_KINDS``."""
    if kind == "sliding":
        return SlidingWindow()
    if kind == "fixed":
        return FixedWindow()
    if kind == "bucket":
        return TokenBucket(bucket_seconds)
    if kind == "penalty":
        return PenaltyBox()
    raise ValueError(f"rate window must be one of {', '.join(WINDOW_KINDS)}, not {kind!r}")
