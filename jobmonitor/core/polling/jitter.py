"""RoundTrips: how much slack the request budget's window checks keep for network jitter.

A server counts a request somewhere between its send and its answer, so two requests sent a
window apart may be counted a hair less than a window apart. The guard added to every window
check covers that: ``DEFAULT_GUARD`` until enough answers came back to measure the jitter, then
twice the spread of their round trips, within bounds. A fixed 0.3 s per window kept a told limit
3 % behind the ideal poller (tests/benchmarks/model_scheduler.py); on a steady network the
spread, and so the guard, is a few milliseconds.
"""

from __future__ import annotations

from collections import deque

DEFAULT_GUARD = 0.3  # seconds, until the jitter is measured
MIN_GUARD = 0.02
MAX_GUARD = 2.0
GUARD_SAMPLES = 64  # round trips the spread is taken over
GUARD_MIN_SAMPLES = 8


class RoundTrips:
    """The latest round trips of answered (or refused) requests, and the guard they call for."""

    def __init__(self, initial: float = DEFAULT_GUARD, floor: float = MIN_GUARD) -> None:
        self._initial = initial
        self.floor = floor
        self._seconds: deque[float] = deque(maxlen=GUARD_SAMPLES)

    def add(self, seconds: float) -> None:
        self._seconds.append(seconds)

    @property
    def last(self) -> float:
        """The latest round trip (0 before any answer)."""
        return self._seconds[-1] if self._seconds else 0.0

    @property
    def fastest(self) -> float:
        """The shortest of the latest round trips (0 before any answer)."""
        return min(self._seconds, default=0.0)

    @property
    def slowest(self) -> float:
        """The longest of the latest round trips (0 before any answer)."""
        return max(self._seconds, default=0.0)

    @property
    def guard(self) -> float:
        seconds = self._seconds
        if len(seconds) < GUARD_MIN_SAMPLES:
            return self._initial
        return min(max(2.0 * (max(seconds) - min(seconds)), self.floor), MAX_GUARD)


__all__ = ["DEFAULT_GUARD", "GUARD_MIN_SAMPLES", "MIN_GUARD", "RoundTrips"]
