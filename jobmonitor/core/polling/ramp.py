"""The request budget's pace while no limit is known: how fast it probes upward (issue 13).

A client told nothing starts at ``START_PACE`` and, while requests wait for the pace, doubles it
every ``DOUBLING`` s of that demand up to ``CEILING``; above the ceiling it may only grow to
``ABOVE_SHARE`` times what the server answered in the trailing window, doubling in
``ABOVE_DOUBLING`` s at most. The first 429 ends the ramp (``budget.py``).

The trade (README, ``tests/benchmarks/model_scheduler.py``): a fast ramp reaches a generous limit
before the first jobs finish, but spends a mid-sized sliding window early in its first minute,
and that window then refuses everything until the first requests age out, a minute after they
went. No one speed serves both (the README has the arithmetic); this one serves no limit and
3000 a minute, and small plans, and loses the sliding windows of 300-1500 a minute.
"""

from __future__ import annotations

import math

# Requests per minute paced at while nothing is known: a small plan's limit is found within its
# first minute's worth of requests, a generous one within seconds of doubling.
START_PACE = 240.0
# At 5.5 s the pace is at the ceiling 20 s in, with about 370 requests sent.
DOUBLING = 5.5
# 50 requests a second, the top of the range real plans have: beyond it the pace follows the
# answered count, so a server that takes a ceiling's worth a minute is probed above step by
# step, never flooded, and a penalty box above the ceiling is not breached by one burst.
CEILING = 3000.0
ABOVE_SHARE = 1.5
ABOVE_DOUBLING = 6.0
MAX_PACE = 60_000.0
HELD_GAP = 1.0  # seconds of demand one held_back() may count (a longer gap was no demand)


def grown(pace: float, demand: float, answered: int) -> float:
    """The probing pace after ``demand`` s more of it; ``answered``: requests the trailing
    window took (sent and not refused)."""
    if pace < CEILING:
        return min(pace * math.pow(2.0, demand / DOUBLING), CEILING)
    cap = max(CEILING, ABOVE_SHARE * answered)
    return max(pace, min(pace * math.pow(2.0, demand / ABOVE_DOUBLING), cap, MAX_PACE))


__all__ = ["CEILING", "DOUBLING", "HELD_GAP", "MAX_PACE", "START_PACE", "grown"]
