"""SentLog: the send times the request budget counts against a window (in order, oldest first).

Only requests the server did not refuse are kept (a 429 does not count against a limit, so a
refused send is discarded), and only for two windows: a fixed window's count starts at a
calendar-minute boundary up to one window before. ``first`` is the send that began the current
busy stretch (the log was empty before it): how long the client has been sending says how much
a count of it can tell (a first minute's count bounds a limit only tentatively).

``paced`` is where the pace's grid put the last send: a send a moment after the pace allowed it
(a timer fires up to a millisecond late, epoll rounds its timeout up to one, a busy loop adds
more) keeps the grid, so the lateness does not add up request after request. At 3,000 a minute
(a send every 20 ms) a millisecond each was 4 % of the pace over loopback.

A server counts a request somewhere between its send and its answer. ``room`` counts each send
from its send time plus how much slower its own round trip was than the fastest of the latest
ones, plus a floor: a request the server held up (a loaded server, a queue) is
counted that much later, and only that one leaves the window later. One guard for every send
(twice the recent spread of round trips) cost every send that guard at every window, and a
spike older than the spread's samples was not covered (a told 600/min row got a 429 over
loopback with the pace on its grid).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import deque


class SentLog(deque[float]):
    """Send times, oldest first; see the module doc."""

    def __init__(self) -> None:
        super().__init__()
        self.first = math.inf
        self.paced = -math.inf  # the grid time of the last send (see the module doc)
        self._answered: dict[float, float] = {}  # send time -> when its answer came back
        self._trip: dict[float, float] = {}  # send time -> its round trip
        self._slowest = 0.0  # the longest of ``_trip`` (at least)

    def answered(self, t: float, at: float) -> None:
        """The send at ``t`` was answered at ``at``: the server counted it by then."""
        self._answered[t] = at
        self._trip[t] = at - t
        self._slowest = max(self._slowest, at - t)

    def add(self, t: float, spacing: float = 0.0) -> None:
        """A send at ``t``; ``spacing``: the pace's gap between sends then. A send up to half a
        gap after its slot keeps the grid; a later one (nothing was ready) starts it again
        half a gap back at most, so two sends are never closer than half a gap."""
        if not self:
            self.first = t
            self.paced = t
        else:
            self.paced = min(t, max(self.paced + spacing, t - spacing / 2))
        self.append(t)

    def discard(self, t: float) -> None:
        """Forget the send at ``t`` (it was refused)."""
        i = bisect_left(self, t)
        if i < len(self) and self[i] == t:
            del self[i]
        self._answered.pop(t, None)
        self._trip.pop(t, None)

    def since(self, t: float) -> int:
        """Sends after ``t``."""
        return len(self) - bisect_right(self, t)

    def counted(self, t: float, fastest: float, guard: float, floor: float) -> float:
        """The latest the server may have counted the send at ``t`` (see the module doc): an
        answered one by how much slower its round trip was than ``fastest``, plus ``floor``;
        one still out by ``guard``. (The lateness is taken now, not at its answer: the first
        answers, a connection's set-up among them, had no fast one to compare with.)"""
        trip = self._trip.get(t)
        return t + (guard if trip is None else max(0.0, trip - fastest) + floor)

    def room(
        self,
        now: float,
        limit: int,
        window: float,
        trips: tuple[float, float, float],
        late: bool = False,
    ) -> float:
        """Clock time a count of the last ``window`` s has room for one more of ``limit``: the
        send ``limit`` sends ago must leave it first (counted as ``counted`` says), and any
        older one counted after it. With ``late``, that send counts from its answer when one
        came (a server may count a request only as it answers it). ``trips``: the fastest
        recent round trip, the guard for a send still out, the floor (``counted``)."""
        if len(self) < limit:
            return now
        fastest, guard, floor = trips
        index = len(self) - limit
        oldest = self[index]
        at = self.counted(oldest, fastest, guard, floor)
        # No send older than this reach before it can be counted after it.
        reach = max(self._slowest - fastest + floor, guard)
        for i in range(index - 1, -1, -1):
            t = self[i]
            if t + reach <= at:
                break
            at = max(at, self.counted(t, fastest, guard, floor))
        at += window
        if late:
            at = max(at, self._answered.get(oldest, oldest) + window)
        return max(now, at)

    def expire(self, horizon: float) -> None:
        """Drop sends at or before ``horizon``."""
        trips, slowest = self._trip, self._slowest
        while self and self[0] <= horizon:
            t = self.popleft()
            self._answered.pop(t, None)
            if trips.pop(t, 0.0) >= slowest:
                slowest = -1.0  # the longest may have gone: find it again below
        if slowest < 0:
            self._slowest = max(trips.values(), default=0.0)
        if not self:
            self.first = math.inf


__all__ = ["SentLog"]
