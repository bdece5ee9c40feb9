"""Episode: what the request budget does between a 429 and the next answered request.

CONTRACT.md (Rate limits): a 429 without Retry-After does not call for a fixed minute's pause.
Against a sliding window the server accepts again as soon as the oldest counted request ages
out, and the client knows its own send times, so the first pause lasts only until its count of
answered requests in the trailing window is below the limit it now knows (the budget's window
check computes that). The first request after any pause is a *probe*: the others wait for its
answer, so a wrong guess costs one 429, not a burst. Each 429 on a probe is a strike, and the
pauses grow with them:

1. (the first 429, while the client had sent for less than a window) a short one: one probe
   after a couple of request spacings, even when its count says the window is still full (a
   token bucket refills within a second; a count from a first minute's burst says little);
2. then, earliest first, each of the moments another kind of limit would accept again: when the
   count has room (a sliding window), the next calendar-minute boundary of the wall clock when
   it comes before a minute has passed since the first 429 (a fixed per-minute window starts
   over there; a window spent early in its minute need not wait for its oldest request to age
   out), and a minute after the first 429 (a penalty box has ended by then);
3. and on: a doubling pause from a minute, up to the longest the client ever waits.

A probe answered at a boundary or a minute after reveals the kind (``FIXED`` or ``PENALTY``),
which the budget keeps: its next 429 goes straight to that pause instead of repeating the
ladder. One answered after pause 1 reveals a token bucket (``BUCKET``): the budget then treats a
429 as "the next token is not there yet" and needs no episode.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence

from jobmonitor.api.models import MAX_RETRY_AFTER

SLIDING, FIXED, PENALTY, BUCKET = "sliding", "fixed", "penalty", "bucket"
SHORT, LONG = "short", "long"
PROBE_TIMEOUT = 10.0  # seconds a probe without an answer holds the others back
SHORT_PAUSE = 1.0  # at least; else two request spacings at the known pace
LONG_PAUSE = 60.0  # the first of the doubling pauses after the ladder


class Episode:
    """One run of 429s, from the first refused request on; see the module doc."""

    def __init__(
        self, start: float, first_sent: float, kind: str, window: float, guard: float
    ) -> None:
        self.start = start  # clock time the first 429 came back
        self.first_sent = first_sent  # ...and the refused request was sent
        self.oldest = first_sent  # the oldest request the server counted against it (a guess)
        self.kind = kind  # what the budget knew of the server's window when it began
        self.window = window
        self.guard = guard
        self.strikes = 1
        self.stage = SHORT  # what the current pause assumes
        self.resume_at = start
        self._probe_next = True
        self._probe: float | None = None  # send time of the probe out now
        self._resumed = math.inf  # send time of the first request after the latest pause
        self._early_at = math.inf  # the short stage's probe may go from then on
        self._tried: set[str] = set()  # the stages whose probe was refused
        self._long = 0  # refused probes after every kind's pause was tried
        self._proves = math.inf  # a boundary probe sent before then proves a fixed window

    # -- the probe -----------------------------------------------------------------------------
    @property
    def probing(self) -> bool:
        """A pause is not yet confirmed over: no growth, one request at a time."""
        return self._probe_next or self._probe is not None

    @property
    def sliding_probe(self) -> bool:
        """The next request probes whether a sliding window has room (its count decides)."""
        return self._probe_next and self.stage == SLIDING

    def sent(self, now: float) -> None:
        if self._probe_next:
            self._probe_next = False
            self._probe = self._resumed = now

    def probe_wait(self, now: float) -> float:
        """Seconds the next request waits for the probe's answer (0: no probe out)."""
        if self._probe is None:
            return 0.0
        if now - self._probe >= PROBE_TIMEOUT:
            self.probe_lost()  # no answer in time: the next request probes again
            return 0.0
        return self._probe + PROBE_TIMEOUT - now

    def is_probe(self, sent_at: float) -> bool:
        return self._probe is not None and sent_at == self._probe

    def in_burst(self, sent_at: float) -> bool:
        """Sent before the latest pause ended: refused along with the first, no new lesson."""
        return sent_at < self._resumed

    def probe_lost(self) -> None:
        self._probe = None
        self._probe_next = True

    def probe_answered(self) -> str | None:
        """The probe got through: the episode is over. The kind its pause revealed, if any."""
        probe_sent = self._probe if self._probe is not None else math.inf
        self._probe = None
        self._probe_next = False
        if self.stage == SHORT:
            # Refused at a count taken in less than a window, yet answered a moment later: no
            # window ages out that soon, a token bucket refills (the budget checks that no
            # calendar minute began in between).
            return BUCKET
        if self.stage == FIXED and probe_sent >= self._proves:
            return None  # the count had room by then: a sliding window would have answered
        return self.stage if self.stage in (FIXED, PENALTY) and self.kind != self.stage else None

    # -- the pauses ----------------------------------------------------------------------------
    def first_pause(self, now: float, pace: int, boundary: float, early: bool) -> float:
        """Clock time to resume after the first 429 (``now``: the budget's count decides);
        ``early``: the count may be wrong, so the ladder starts with the short pause."""
        if self.kind == PENALTY:
            self._tried.update((SLIDING, FIXED))
            self.stage = PENALTY
            return self.start + self.window + self.guard
        if self.kind == FIXED:
            self._tried.add(SLIDING)
            self.stage = FIXED
            return boundary
        if early:
            self._early_at = now + max(SHORT_PAUSE, 2 * self.window / max(pace, 1))
        else:
            self.stage = SLIDING
        return now

    def early_probe(self, now: float, full: float) -> float:
        """Seconds the next request waits, given ``full`` s until the count has room: the short
        stage's probe may go at its own time instead, and a pause that assumes a fixed window
        or a penalty box ends at its boundary whatever the count says (the blocked time)."""
        if not self._probe_next:
            return full
        if self.stage == SHORT:
            return min(full, max(0.0, self._early_at - now))
        return 0.0 if self.stage in (FIXED, PENALTY) else full

    def again(self) -> None:
        """The probe was refused with a Retry-After: honour it, probe again, no escalation."""
        self._probe = None
        self._probe_next = True
        self._resumed = math.inf

    def strike(self, now: float, boundary: float, room: float, proves: float) -> float:
        """The probe was refused too: the next pause (see the module doc). ``boundary``: just
        after the next calendar-minute boundary; ``room``: when the count surely has room
        again; ``proves``: until when a probe's answer proves no sliding window had room."""
        self.again()
        self.strikes += 1
        self._tried.add(self.stage)
        # Earliest first, the count first on a tie; before a probe at the count's room was
        # refused, a boundary probe only where a sliding window would still refuse it (else
        # its answer proves nothing).
        self._proves = proves if SLIDING not in self._tried else math.inf
        options = []
        if SLIDING not in self._tried:
            options.append((room, 0, SLIDING))
        if FIXED not in self._tried and boundary < min(self.start + self.window, self._proves):
            options.append((boundary, 1, FIXED))
        if PENALTY not in self._tried:
            options.append((max(now, self.start + self.window + self.guard), 2, PENALTY))
        if options:
            at, _, self.stage = min(options)
            return now if self.stage == SLIDING else at  # the count decides a sliding window
        self.stage = LONG
        self._long += 1
        return now + min(LONG_PAUSE * 2.0 ** (self._long - 1), MAX_RETRY_AFTER)

    def calendar_bound(self, sent: Sequence[float], offset: float, window: float) -> int:
        """Requests answered in the refused request's calendar minute before it was sent."""
        begin = math.floor((self.first_sent + offset) / window) * window - offset
        return bisect_left(sent, self.first_sent) - bisect_left(sent, begin)


def next_boundary(now: float, offset: float, window: float, guard: float) -> float:
    """Clock time just after the next calendar-minute boundary (``offset``: wall - clock)."""
    wall = now + offset
    return (math.floor(wall / window) + 1) * window - offset + guard


def calendar_count(
    sent: Sequence[float], now: float, offset: float, window: float, guard: float
) -> tuple[int, float]:
    """(requests sent in the current calendar minute, clock time it ends plus the guard).

    Requests sent within ``guard`` before the minute began count too: they may have reached the
    server after its boundary.
    """
    begin = math.floor((now + offset) / window) * window - offset
    return len(sent) - bisect_left(sent, begin - guard), begin + window + guard
