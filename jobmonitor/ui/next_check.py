"""The "Next check" column in words: a countdown, or why a due job has not been asked about yet.

The scheduler's ``next_due`` is the time a job *may* be polled; whether it *is* then depends on
the user (paused), the key, a rate-limit pause and the request budget, which spreads requests
out. A job that is due but held back used to read "now" for as long as it waited; here it says
what it is waiting for, with the figures in the tooltip.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from jobmonitor.core.state import ApiCondition, ApiStatus
from jobmonitor.ui.status_bar import format_countdown
from jobmonitor.ui.timefmt import absolute, countdown

# A due job is normally sent within a fraction of a second; past this, it is waiting for something.
HELD_BACK_AFTER = 2.0
# A job never polled is due "now" at every call; read a moment after the column's clock, that
# is a hair in the future. Within this slack a job counts as due.
DUE_SLACK = 0.25

PAUSED = "paused"
NEEDS_KEY = "needs API key"
CHECKING = "checking…"
AFTER_RATE_LIMIT = "after rate-limit pause"
WAITING_FOR_BUDGET = "waiting for budget"
WAITING_FOR_SERVER = "waiting for server"
POLLING_OFF = "polling off"


class PollInfo(Protocol):
    """What the column reads from the scheduler (``core.polling.PollingController`` has it)."""

    @property
    def attached(self) -> bool: ...
    @property
    def paused(self) -> bool: ...
    @property
    def api_status(self) -> ApiStatus: ...
    @property
    def budget_usage(self) -> tuple[int, int | None]: ...
    def next_due(self, job_id: str) -> float | None: ...
    def next_due_many(self, job_ids: Sequence[str]) -> list[float | None]: ...


@dataclass(frozen=True, slots=True)
class NextCheck:
    text: str
    tooltip: str


def budget_words(used: int, limit: int | None) -> str:
    if limit is None:
        return (
            f"{used} requests in the last minute; the API has not said its limit, so the app "
            "spreads its requests out at a rate it assumes safe"
        )
    return f"{used} requests in the last minute of {limit} allowed"


def describe(
    due: float | None,
    now: float,
    *,
    waited: float = 0.0,
    attached: bool = True,
    paused: bool = False,
    api: ApiStatus | None = None,
    budget: Callable[[], tuple[int, int | None]] = lambda: (0, None),
) -> NextCheck:
    """The cell of a job that is not finished. ``waited``: seconds it has been due, unsent."""
    condition = api.condition if api is not None else ApiCondition.ONLINE
    if not attached:
        return NextCheck(POLLING_OFF, "Polling is off: check the base URL in Settings")
    if paused or condition is ApiCondition.PAUSED:
        return NextCheck(PAUSED, "Polling is paused; resume it with Ctrl+Shift+P (F5 checks now)")
    if condition in (ApiCondition.KEY_MISSING, ApiCondition.KEY_REJECTED):
        what = "missing" if condition is ApiCondition.KEY_MISSING else "rejected by the API"
        return NextCheck(NEEDS_KEY, f"The API key is {what}: set one in Settings (Ctrl+,)")
    if due is None:
        return NextCheck(CHECKING, "A request about this job is on its way")
    until = api.until if api is not None else None
    if condition is ApiCondition.RATE_LIMITED and until is not None and due <= until + 1:
        left = format_countdown(until - now)
        return NextCheck(
            AFTER_RATE_LIMIT,
            f"The API asked for a pause (rate limit) until {absolute(until)}, in {left}; "
            "this job is checked after it",
        )
    if due > now + DUE_SLACK:
        text = countdown(due, now) if due - now >= 1 else "in 1 s"
        return NextCheck(text, f"Next check {absolute(due)}")
    if waited < HELD_BACK_AFTER:
        return NextCheck("now", "Due now")
    since = f"Due since {absolute(now - waited)}"
    if condition is ApiCondition.UNREACHABLE:
        return NextCheck(
            WAITING_FOR_SERVER,
            f"{since}; the server is not answering, requests wait for earlier ones to time out",
        )
    used, limit = budget()
    return NextCheck(
        WAITING_FOR_BUDGET,
        f"{since}; waiting its turn in the request budget: {budget_words(used, limit)}. "
        "It is checked as soon as the budget allows.",
    )


class NextCheckColumn:
    """Reads the scheduler through ``PollInfo`` and remembers since when each shown job is due.

    A job never polled yet is due "now" at every call, so how long it has waited is only known
    by remembering when it was first seen due. Only rows on screen are asked about, so this
    holds a handful of entries.
    """

    def __init__(self, poll: PollInfo, clock: Callable[[], float] = time.time) -> None:
        self._poll = poll
        self._clock = clock
        self._due_since: dict[str, float] = {}
        self._budget: tuple[float, tuple[int, int | None]] = (float("-inf"), (0, None))

    def next_due(self, job_id: str) -> float | None:
        return self._poll.next_due(job_id)

    def next_due_many(self, job_ids: Sequence[str]) -> list[float | None]:
        return self._poll.next_due_many(job_ids)

    def describe(self, job_id: str, now: float) -> NextCheck:
        poll = self._poll
        due = poll.next_due(job_id)
        if due is None or due > now + DUE_SLACK:
            self._due_since.pop(job_id, None)
            waited = 0.0
        else:
            first = self._due_since.setdefault(job_id, now)
            waited = max(0.0, now - min(first, due))
        return describe(
            due,
            now,
            waited=waited,
            attached=poll.attached,
            paused=poll.paused,
            api=poll.api_status,
            budget=lambda: self._budget_usage(now),
        )

    def _budget_usage(self, now: float) -> tuple[int, int | None]:
        # Counting the last minute's requests walks them all: once per second is plenty.
        at, usage = self._budget
        if abs(now - at) >= 1.0:
            usage = self._poll.budget_usage
            self._budget = (now, usage)
        return usage

    def forget(self, job_id: str) -> None:
        self._due_since.pop(job_id, None)

    def forget_many(self, job_ids: Iterable[str]) -> None:
        if self._due_since:  # (empty unless jobs wait: then nothing to look up)
            for job_id in job_ids:
                self._due_since.pop(job_id, None)
