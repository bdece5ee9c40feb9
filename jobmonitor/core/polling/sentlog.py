"""SentLog: the send times the request budget counts against a window (in order, oldest first).

Only requests the server did not refuse are kept (a 429 does not count against a limit, so a
refused send is discarded), and only for two windows: a fixed window's count starts at a
calendar-minute boundary up to one window before. ``first`` is the send that began the current
busy stretch (the log was empty before it): how long the client has been sending says how much
a count of it can tell (a first minute's count bounds a limit only tentatively).
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
        self._answered: dict[float, float] = {}  # send time -> when its answer came back

    def answered(self, t: float, at: float) -> None:
        """The send at ``t`` was answered at ``at``: the server counted it by then."""
        self._answered[t] = at

    def add(self, t: float) -> None:
        if not self:
            self.first = t
        self.append(t)

    def discard(self, t: float) -> None:
        """Forget the send at ``t`` (it was refused)."""
        i = bisect_left(self, t)
        if i < len(self) and self[i] == t:
            del self[i]
        self._answered.pop(t, None)

    def since(self, t: float) -> int:
        """Sends after ``t``."""
        return len(self) - bisect_right(self, t)

    def room(self, now: float, limit: int, span: float, late: float | None = None) -> float:
        """Clock time a count of the last ``span`` s has room for one more of ``limit``: the
        send ``limit`` sends ago must leave it first. With ``late`` (the window itself), that
        send counts from its answer when one came: a server may count a request only as it
        answers, later than its send and the jitter guard allow for."""
        if self.since(now - span) < limit:
            return now
        oldest = self[len(self) - limit]
        if late is None:
            return oldest + span
        return max(oldest + span, self._answered.get(oldest, oldest) + late)

    def expire(self, horizon: float) -> None:
        """Drop sends at or before ``horizon``."""
        while self and self[0] <= horizon:
            self._answered.pop(self.popleft(), None)
        if not self:
            self.first = math.inf


__all__ = ["SentLog"]
