"""RequestBudget: one request budget per API, adopted from headers, probed for, learned from 429s.

It answers the scheduler "how long until the next request may be sent?" from three sources of a
limit (requests per window): the setting, the server's headers, what 429s taught (the lowest).

Requests are spread evenly (one per ``window / limit``, on a grid a late timer does not push
back) and counted in a sliding window of the requests the server did not refuse (a 429 does not
count against a limit), each from its send plus how much later the server may have counted it
than a fast one (``sentlog.py``: a request sent a hair after the window freed may reach the
server a hair before).

With no limit known the budget probes upward (``ramp.py``): fast up to a ceiling of 50 requests
a second, then only as fast as the server's answers allow. The first 429 stops the growth: the
requests answered in the window before the refused one bound the limit. A 429 that came before
the client had sent for a whole window may bound it too low (a token bucket refuses once its
burst is spent, long before a minute's worth), so such a *tentative* limit keeps growing,
slower, while demand exceeds it and answers keep coming; a 429 at the same count again, or one
after a whole window was sent, settles it.

What a 429 does next (``episode.Episode``) follows CONTRACT.md: Retry-After is honoured; without
it the client resumes as soon as its own count of answered requests in the trailing window is
below the limit it now knows, with one probe first; only a refused probe calls for a longer
pause (a fixed window's boundary, a penalty box's minute), and what the pauses reveal is kept
(``kind``). A token bucket shows itself by answering an early probe (no window frees a slot that
soon): from then on a 429 cuts the pace and answers grow it a little (``bucket.py``).
"""

from __future__ import annotations

import math
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable

from jobmonitor.api.models import MAX_RETRY_AFTER, RateLimitInfo
from jobmonitor.core.polling.bucket import BucketPace, first_rate
from jobmonitor.core.polling.episode import (
    BUCKET,
    FIXED,
    PENALTY,
    SLIDING,
    Episode,
    calendar_count,
    next_boundary,
)
from jobmonitor.core.polling.jitter import DEFAULT_GUARD, MIN_GUARD, RoundTrips
from jobmonitor.core.polling.ramp import HELD_GAP, MAX_PACE, START_PACE, grown
from jobmonitor.core.polling.sentlog import SentLog

WINDOW = 60.0
REGROW_DOUBLING = 12.0  # the same for a tentative limit (slower: it was refused once already)
REGROW_QUIET = 5.0  # seconds since the last 429 before a tentative limit may grow again
SETTLED_SHARE = 1.1  # a tentative limit refused again within this factor is the real one
LATER_429_FACTOR = 0.9  # a 429 under a settled limit: the real one is lower (shared key, drift)
# A fixed window's calendar minute holds at least this share of the 60 s before its 429 (the
# rest fell in the minute before, which the window had already forgotten).
CALENDAR_SHARE = 0.5


class RequestBudget:
    """At most ``limit`` requests in any ``window`` seconds, spread evenly; see the module doc."""

    def __init__(
        self,
        limit: int | None = None,
        *,
        window: float = WINDOW,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        guard: float = DEFAULT_GUARD,
        min_guard: float = MIN_GUARD,
        start_pace: float = START_PACE,
    ) -> None:
        self.window = window
        self._trips = RoundTrips(guard, min_guard)
        self._clock = clock
        self._wall = wall_clock
        self._sent = SentLog()  # sends not refused (answered, or still out)
        self.configured: int | None = _positive(limit)
        self.server_limit: int | None = None
        self.learned: int | None = None
        self.tentative = False  # learned from a 429 before a whole window was sent
        self.kind = SLIDING  # what repeated 429s revealed of the server's window
        self._pace = max(1.0, float(start_pace))
        self._learned_growth: float | None = None  # the tentative limit, unrounded
        self._held_at = math.inf
        self._regrow_at = -math.inf  # a tentative limit grows from then on (quiet since a 429)
        self._last_bound: int | None = None
        self._blocked = -math.inf
        self._episode: Episode | None = None
        self._bucket: BucketPace | None = None  # the pace against a known token bucket
        # An early probe was answered across a calendar boundary: a bucket not yet ruled out,
        # so the next 429 starts with the short pause again.
        self._maybe_bucket = False

    # -- what is known ----------------------------------------------------------------------
    @property
    def limit(self) -> int | None:
        """The lowest limit known (setting, server, learned); None while nothing is known."""
        known = [v for v in (self.configured, self.server_limit, self.learned) if v is not None]
        return min(known) if known else None

    @property
    def pacing_limit(self) -> int:
        """The limit requests are paced at: the known one, else the current probing pace."""
        limit = self.limit
        return limit if limit is not None else int(self._pace)

    @property
    def assumed(self) -> int:
        """The pace probed at while no limit is known (it grows while no 429 comes)."""
        return int(self._pace)

    def set_configured(self, per_window: int | None) -> None:
        self.configured = _positive(per_window)

    def recall(
        self, learned: int | None, assumed: int | None, tentative: bool = False, kind: str = SLIDING
    ) -> None:
        """Start from what an earlier session found out about this API (``memory``): the limit
        a 429 taught (a provisional one is probed above again), how far the pace grew without
        one, and the kind of limit, so its first 429 goes straight to the right pause."""
        self.learned = _positive(learned)
        self.tentative = tentative and self.learned is not None
        self._learned_growth = None if self.learned is None else float(self.learned)
        self.kind = kind if kind in (SLIDING, FIXED, PENALTY, BUCKET) else SLIDING
        if self.kind == BUCKET:
            if self.learned is None:
                self.kind = SLIDING  # a bucket's rate is its learned limit: none, no bucket
            else:
                self._bucket = BucketPace(self.learned, self._clock(), MAX_PACE)
        if assumed is not None:
            self._pace = min(max(self._pace, float(assumed)), MAX_PACE)

    @property
    def memory(self) -> tuple[int | None, int, bool, str]:
        """What ``recall`` takes: (learned, assumed, tentative, kind)."""
        return self.learned, self.assumed, self.tentative, self.kind

    @property
    def guard(self) -> float:
        """Seconds of jitter a calendar count or a send still out allows for (``jitter.py``)."""
        return self._trips.guard

    def used(self, now: float | None = None) -> int:
        """Requests sent in the last window and not refused."""
        now = self._clock() if now is None else now
        self._expire(now)
        return self._sent.since(now - self.window)

    @property
    def blocked_until(self) -> float:
        """Clock time before which no request may go (a pause after a 429 or a spent window)."""
        return self._blocked

    # -- the question the scheduler asks -------------------------------------------------
    def delay(self, now: float | None = None) -> float:
        """Seconds until one more request may be sent (0 when it may go now)."""
        now = self._clock() if now is None else now
        self._expire(now)
        wait = max(0.0, self._blocked - now)
        episode = self._episode
        if episode is not None:
            wait = max(wait, episode.probe_wait(now))
        sent = self._sent
        if not sent:
            return wait
        limit = self.pacing_limit
        # The window's share per request, on the pace's grid (sentlog.py); the jitter guard is
        # the window count's (in the spacing too, a told limit lagged the ideal poller more).
        wait = max(wait, sent.paced + self.window / limit - now)
        full = 0.0
        if self.kind == FIXED:
            offset = self._wall() - now
            count, ends = calendar_count(sent, now, offset, self.window, self.guard)
            if count >= limit:
                full = ends - now
        elif self.kind != BUCKET:  # a bucket has no window to fill: the pace follows its rate
            full = self._room(now, episode is not None and episode.sliding_probe) - now
        if episode is not None and full > 0:
            full = episode.early_probe(now, full)  # one request may ask sooner (the ladder)
        return max(wait, full)

    def record(self, now: float | None = None) -> None:
        """A request was sent now."""
        now = self._clock() if now is None else now
        self._sent.add(now, self.window / self.pacing_limit)
        if self._episode is not None:
            self._episode.sent(now)

    def held_back(self, now: float | None = None) -> None:
        """A request was ready but had to wait for the budget: demand exceeds the budget.

        With no limit known the pace grows; a tentative limit grows too, slower, once no 429
        has come for a few seconds: answers keep coming at the pace it allows.
        """
        now = self._clock() if now is None else now
        demand = min(max(0.0, now - self._held_at), HELD_GAP)  # 0 on the first call
        self._held_at = now
        if self._blocked > now or (self._episode is not None and self._episode.probing):
            return
        limit = self.limit
        if limit is None:
            self._pace = grown(self._pace, demand, self.used(now))
            return
        learned = self.learned
        if (
            learned is None
            or limit != learned
            or not self.tentative
            or self.kind == PENALTY
            or now < self._regrow_at
        ):
            return
        regrown = (self._learned_growth or learned) * 2.0 ** (demand / REGROW_DOUBLING)
        self._learned_growth = min(regrown, MAX_PACE)
        self.learned = max(learned, int(self._learned_growth))

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
            limit = self.limit
            # The server counted this request up to a round trip ago, from its own clock.
            horizon = now - self.window - self.guard - self._trips.last
            self._expire(now)
            if limit is not None and self._sent.since(horizon) >= limit:
                # Our own sends fill the window: its check knows when a slot frees, to the
                # request (a Reset header is whole seconds, rounded up).
                return
            until = now + min(info.reset_after, MAX_RETRY_AFTER) + self.guard
            self._blocked = max(self._blocked, until)

    def on_success(self, sent_at: float | None = None, now: float | None = None) -> None:
        """A request sent at ``sent_at`` was answered (not a 429) at ``now``."""
        if sent_at is not None and now is not None:
            self._trips.add(now - sent_at)
            self._sent.answered(sent_at, now)
            bucket, learned = self._bucket, self.learned
            held = now - self._held_at < HELD_GAP  # answered while requests waited for the pace
            if bucket and self.kind == BUCKET and held and learned and self.limit == learned:
                self.learned = bucket.answered()
        episode = self._episode
        if episode is None or sent_at is None or not episode.is_probe(sent_at):
            return
        revealed = episode.probe_answered()
        if revealed == BUCKET:
            self._bucket_found(episode, sent_at)
        elif revealed == FIXED:
            self._fixed_found(episode)
        elif revealed == PENALTY:
            self.kind = PENALTY  # every breach costs a minute: keep a margin below the bound
            if self.learned is not None:
                self._settle(max(1, math.floor(self.learned * LATER_429_FACTOR)))

    def on_fault(self, sent_at: float) -> None:
        """A request got no answer (network, 5xx, garbage): a probe it was ends unanswered."""
        if self._episode is not None and self._episode.is_probe(sent_at):
            self._episode.probe_lost()

    def on_rate_limited(
        self, sent_at: float, retry_after: float | None, now: float | None = None
    ) -> float:
        """A request sent at ``sent_at`` got a 429. Learn, and return when requests may resume.

        The requests answered in the window before the refused one bound the limit. A 429 on
        the probe sent after resuming is a strike: it escalates the pause (see ``Episode``). A
        429 of a request sent before resuming belongs to the same burst and refines the bound.
        """
        now = self._clock() if now is None else now
        self._trips.add(now - sent_at)
        self._sent.discard(sent_at)  # refused: it does not count against the limit
        self._expire(now)
        given = retry_after is not None and math.isfinite(retry_after) and retry_after > 0
        if self.kind == BUCKET and not given:
            return self._bucket_refused(sent_at, now)
        sent = self._sent
        bound = max(1, bisect_left(sent, sent_at) - bisect_right(sent, sent_at - self.window))
        episode = self._episode
        if episode is not None and episode.is_probe(sent_at):
            if given:
                episode.again()
                until = now
            else:
                # A boundary probe proves a fixed window only if even its answer came before
                # the oldest counted request could have left a sliding window.
                proves = self._room(now) - self.guard - self._trips.slowest
                until = episode.strike(now, self._boundary(now), self._room(now, True), proves)
        elif episode is not None and episode.in_burst(sent_at):
            if episode.strikes == 1 and self.learned is not None:
                self.learned = min(self.learned, bound)
            until = episode.resume_at
        else:
            pace = self.pacing_limit  # what it was sending at: the short pause's spacing
            self._learn(bound, sent_at, now)
            kind = SLIDING if self._maybe_bucket else self.kind  # the ladder from its start
            episode = self._episode = Episode(now, sent_at, kind, self.window, self.guard)
            episode.oldest = sent[bisect_right(sent, sent_at - self.window)] if sent else sent_at
            # A count from less than a window of sending says little (a token bucket's burst):
            # one probe may ask sooner than the count allows.
            early = sent_at - self._sent.first < self.window + self.guard or self._maybe_bucket
            self._maybe_bucket = False
            until = episode.first_pause(now, pace, self._boundary(now), early)
        if given:
            assert retry_after is not None
            until = max(until, now + min(retry_after, MAX_RETRY_AFTER) + self.guard)
        episode.resume_at = until
        self._blocked = max(self._blocked, until)
        return self._blocked

    # -- internals -------------------------------------------------------------------------
    def _learn(self, bound: int, sent_at: float, now: float) -> None:
        mature = sent_at - self._sent.first >= self.window + self.guard
        learned = self.learned
        if learned is not None and self.tentative:
            # Refused again while probing above a tentative limit: this count is the limit,
            # settled unless it moved up (a token bucket's count grows towards its rate).
            previous = self._last_bound or learned
            self.learned = bound
            self.tentative = bound > SETTLED_SHARE * previous
        else:
            known = self.limit
            if known is not None and bound >= known * LATER_429_FACTOR:
                bound = max(1, math.floor(min(bound, known) * LATER_429_FACTOR))
            self.learned = bound if learned is None else min(learned, bound)
            self.tentative = learned is None and not mature
        self._last_bound = bound
        self._learned_growth = None
        self._regrow_at = now + REGROW_QUIET

    def _fixed_found(self, episode: Episode) -> None:
        count = episode.calendar_bound(self._sent, self._wall() - self._clock(), self.window)
        learned = self.learned or count
        if count >= CALENDAR_SHARE * learned:
            self.kind = FIXED
            self._settle(max(1, count - 1))  # a request of the boundary may count twice
        else:
            # Too few in that calendar minute for a fixed window to have refused: late
            # answers misled the count (a loaded machine, a slow network). Keep a margin.
            self._settle(max(1, math.floor(learned * LATER_429_FACTOR)))

    # -- a token bucket (bucket.py) -------------------------------------------------------------
    def _bucket_found(self, episode: Episode, probe_sent: float) -> None:
        if probe_sent >= episode.oldest + self.window - self.guard:
            return  # a window may have freed a slot by then (a Retry-After said when): no proof
        if self._boundary(episode.first_sent) < self._clock() + self.guard:
            # A calendar minute began during the pause: a fixed window starts over there, and
            # no sliding window of this count would have answered. Taken for a fixed window
            # until the next 429, whose short probe asks again.
            self._episode, self._maybe_bucket = None, True
            self._fixed_found(episode)
            # A bucket's count says little of its rate, so it is probed above, but only after
            # a calendar minute has shown the fixed window's count holds.
            self.tentative = True
            self._regrow_at = self._boundary(self._clock()) + self.window
            return
        span = episode.first_sent - self._sent.first
        self.kind, self._episode = BUCKET, None
        self._settle(min(first_rate(self.learned or 1, span, self.window), int(MAX_PACE)))
        self._bucket = BucketPace(self.learned or 1, self._clock(), MAX_PACE)

    def _bucket_refused(self, sent_at: float, now: float) -> float:
        """A 429 from a known token bucket: the next token is not there yet. The pace is cut
        and the next request waits one token."""
        if self._bucket is not None and self.learned is not None:
            self.learned = self._bucket.refused(sent_at, now)
        self._regrow_at = now + REGROW_QUIET
        self._blocked = max(self._blocked, now + self.window / self.pacing_limit)
        return self._blocked

    def _settle(self, limit: int) -> None:
        self.learned = limit
        self.tentative = False
        self._learned_growth = None

    def _room(self, now: float, probe: bool = False) -> float:
        """When the sliding count has room for one more at the pacing limit (``SentLog.room``);
        for a probe from its answer, so a refused probe means no sliding window."""
        trips = self._trips
        known = (trips.fastest, trips.guard, trips.floor)
        return self._sent.room(now, self.pacing_limit, self.window, known, probe)

    def _boundary(self, at: float) -> float:
        """Clock time just after the first calendar-minute boundary after ``at``."""
        return next_boundary(at, self._wall() - self._clock(), self.window, self.guard)

    def _expire(self, now: float) -> None:
        self._sent.expire(now - 2 * self.window - self.guard)  # two: see sentlog.py


def _positive(value: int | None) -> int | None:
    return value if value is not None and value > 0 else None
