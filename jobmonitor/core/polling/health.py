"""ApiHealth: the connection state of one API, from what its answers said (for status bars)."""

from __future__ import annotations

from collections.abc import Callable

from jobmonitor.core.state import ApiCondition, ApiStatus

UNREACHABLE_FAULTS = 3  # consecutive faults, with no good answer for UNREACHABLE_AFTER seconds
UNREACHABLE_AFTER = 5.0


class ApiHealth:
    """Reachability and key state of one API; ``evaluate`` turns them into an ``ApiStatus``.

    One fault is a hiccup: the API shows as unreachable only after several in a row and some
    seconds without any answer, so a share of 500s does not make the status flap. Any answer
    (even a 429 or a 404) proves the server is there.
    """

    def __init__(self, clock: Callable[[], float], wall_clock: Callable[[], float]) -> None:
        self._clock = clock
        self._wall = wall_clock
        self.faults = 0
        self.last_fault = ""
        self.last_answer = clock()
        self.seen_answer = False
        self.key_rejected = False
        self.key_generation = 0  # a 401 to a request sent with an older key pauses nothing
        self.status = ApiStatus(ApiCondition.IDLE)
        self._since = wall_clock()

    def answered(self, now: float) -> None:
        self.faults = 0
        self.last_answer = now
        self.seen_answer = True

    def fault(self, reason: str = "") -> None:
        """A request got no usable answer; ``reason`` (the error, for people) is kept as the
        unreachable state's detail: a wrong base URL and a dead network read differently."""
        self.faults += 1
        self.last_fault = reason

    def key_changed(self) -> None:
        self.key_generation += 1
        self.key_rejected = False

    def rejected(self, key_generation: int) -> None:
        """A 401 to a request sent with key number ``key_generation``."""
        self.key_rejected |= key_generation == self.key_generation

    def evaluate(
        self, *, paused: bool, has_key: bool, blocked_until: float, budget: int
    ) -> ApiStatus | None:
        """The status now; returned only when it changed (None otherwise)."""
        now = self._clock()
        until: float | None = None
        detail = ""
        if paused:
            condition = ApiCondition.PAUSED
        elif not has_key:
            condition, detail = ApiCondition.KEY_MISSING, "no API key is set"
        elif self.key_rejected:
            condition, detail = ApiCondition.KEY_REJECTED, "the API rejected the key (401)"
        elif blocked_until > now:
            condition = ApiCondition.RATE_LIMITED
            until = self._wall() + (blocked_until - now)
            detail = f"rate limited; budget now {budget} requests/min"
        elif self.faults >= UNREACHABLE_FAULTS and now - self.last_answer >= UNREACHABLE_AFTER:
            condition = ApiCondition.UNREACHABLE
            # The latest error, not a running count: the state (and the line a command-line
            # watch prints for it) changes when the reason does, not with every retry.
            detail = self.last_fault or "no answer"
        elif self.seen_answer:
            condition = ApiCondition.ONLINE
        else:
            condition = ApiCondition.IDLE
        if condition is not self.status.condition:
            self._since = self._wall()
        status = ApiStatus(condition, self._since, until, detail)
        if status == self.status:
            return None
        self.status = status
        return status
