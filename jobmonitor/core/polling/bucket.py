"""BucketPace: the request budget's pace against a token bucket (a rate, no window to count).

A bucket shows itself by answering the probe sent a moment after an early 429 (``episode.py``):
no window frees a slot that soon. From then on a 429 only means "the next token is not there
yet": the pace is cut by ``CUT`` (once for the requests already on their way), and each answer
while demand exceeds the pace grows it by ``GROWTH``, so it settles at the refill rate with
about GROWTH / (GROWTH + ln(1 / CUT)) of the requests refused (1 %).
"""

from __future__ import annotations

import math

CUT = 0.75
GROWTH = 0.003


def first_rate(count: int, span: float, window: float) -> int:
    """The pace to start at after ``count`` answers in ``span`` s (under a window) ended in
    a 429: the rate per window is at most that count scaled to a window (the burst is part of
    the count), and at least the count itself if the burst is no more than a window's refill.
    Their geometric mean is below the rate when the burst is a few seconds of it."""
    return max(1, math.floor(count * math.sqrt(max(1.0, window / max(span, 1.0)))))


class BucketPace:
    """The learned rate (requests per window) and how it follows the bucket's answers."""

    def __init__(self, rate: int, now: float, ceiling: float) -> None:
        self.rate = rate
        self._exact = float(rate)
        self._cut_at = now
        self._ceiling = ceiling

    def refused(self, sent_at: float, now: float) -> int:
        """A 429: cut the pace, unless this request went out before the last cut."""
        if sent_at >= self._cut_at:
            self.rate = max(1, math.floor(self.rate * CUT))
            self._exact = float(self.rate)
            self._cut_at = now
        return self.rate

    def answered(self) -> int:
        """An answer while requests waited for the pace: grow it a little."""
        self._exact = min(max(self._exact, self.rate) * (1 + GROWTH), self._ceiling)
        self.rate = max(self.rate, int(self._exact))
        return self.rate


__all__ = ["BucketPace", "first_rate"]
