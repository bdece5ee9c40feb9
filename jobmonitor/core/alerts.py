"""What deserves a word while the window is hidden: a rejected key, a long outage, stuck jobs (no Qt).

``AlertTracker`` is fed the API status as it changes and, now and then, the watch list; it says
once per episode (a key rejected until a key works again, an outage until the API answers) and
once per job (stuck), so a laptop left in the tray overnight does not repeat itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from jobmonitor.core.state import ApiCondition, ApiStatus, JobState

UNREACHABLE_AFTER = 5 * 60.0  # seconds of outage before it is worth interrupting someone
DEFAULT_STUCK_AFTER = 3600.0  # seconds unchanged in queued/processing (a setting)
_RUNNING = frozenset({JobState.QUEUED, JobState.PROCESSING, JobState.UNKNOWN})


class AlertKind(StrEnum):
    KEY_REJECTED = "key_rejected"
    UNREACHABLE = "unreachable"
    STUCK = "stuck"


@dataclass(frozen=True, slots=True)
class Alert:
    kind: AlertKind
    title: str
    message: str
    job_ids: tuple[str, ...] = ()
    urgent: bool = False  # shown through Do Not Disturb: only what needs the user to act


class JobLike(Protocol):
    @property
    def job_id(self) -> str: ...
    @property
    def state(self) -> JobState: ...
    @property
    def label(self) -> str: ...
    @property
    def added_at(self) -> float: ...
    @property
    def updated_at(self) -> float | None: ...


def unchanged_since(job: JobLike) -> float:
    """When the job was last seen to move: the API's updated_at, else when it was added."""
    return max(job.updated_at or 0.0, job.added_at)


def is_stuck(job: JobLike, now: float, stuck_after: float) -> bool:
    return job.state in _RUNNING and now - unchanged_since(job) >= stuck_after


def stuck_test(now: float, stuck_after: float) -> Callable[[JobLike], bool]:
    """``is_stuck`` at ``now`` as one call per job: the Stuck chip counts a 100,000-job list
    every second or so, and three calls a job made that count 40 ms of the GUI thread."""
    cutoff, running = now - stuck_after, _RUNNING
    return lambda job: (
        job.state in running and (job.updated_at or 0.0) <= cutoff and job.added_at <= cutoff
    )


class AlertTracker:
    """Turns status changes and periodic looks at the list into alerts, each said once."""

    def __init__(
        self,
        *,
        stuck_after: float = DEFAULT_STUCK_AFTER,
        unreachable_after: float = UNREACHABLE_AFTER,
    ) -> None:
        self.stuck_after = stuck_after
        self.unreachable_after = unreachable_after
        self._condition = ApiCondition.IDLE
        self._unreachable_since: float | None = None
        self._said: set[AlertKind] = set()
        self._stuck_said: set[str] = set()

    def on_api_status(self, status: ApiStatus, now: float) -> Alert | None:
        previous, self._condition = self._condition, status.condition
        if status.condition is ApiCondition.ONLINE:  # the episode is over
            self._said.discard(AlertKind.KEY_REJECTED)
            self._said.discard(AlertKind.UNREACHABLE)
            self._unreachable_since = None
        if status.condition is ApiCondition.UNREACHABLE:
            if previous is not ApiCondition.UNREACHABLE or self._unreachable_since is None:
                self._unreachable_since = status.since or now
            return self.tick(now)
        self._unreachable_since = None
        if status.condition is ApiCondition.KEY_REJECTED:
            return self._once(
                AlertKind.KEY_REJECTED,
                "API key rejected",
                "Polling is paused until a working key is saved. Open Settings to fix it.",
                urgent=True,
            )
        return None

    def tick(self, now: float) -> Alert | None:
        """Call now and then: an outage becomes news after ``unreachable_after`` seconds."""
        since = self._unreachable_since
        if since is None or now - since < self.unreachable_after:
            return None
        minutes = max(1, round((now - since) / 60))
        return self._once(
            AlertKind.UNREACHABLE,
            "Server unreachable",
            f"No answer from the API for {minutes} minutes; Job Monitor keeps retrying.",
        )

    def stuck(self, jobs: Iterable[JobLike], now: float) -> Alert | None:
        """Jobs newly stuck since the last look, as one alert (each job is told once)."""
        found = [
            j
            for j in jobs
            if j.job_id not in self._stuck_said and is_stuck(j, now, self.stuck_after)
        ]
        if not found:
            return None
        self._stuck_said.update(j.job_id for j in found)
        hours = self.stuck_after / 3600
        span = f"{hours:g} hour{'s' if hours != 1 else ''}" if hours >= 1 else "a while"
        if len(found) == 1:
            job = found[0]
            name = job.label or f"Job {job.job_id[:8]}…"
            return Alert(
                AlertKind.STUCK,
                "Job looks stuck",
                f"{name} has been {job.state.label.lower()} for over {span}.",
                (job.job_id,),
            )
        return Alert(
            AlertKind.STUCK,
            f"{len(found)} jobs look stuck",
            f"Queued or processing with no change for over {span}.",
            tuple(j.job_id for j in found),
        )

    def _once(
        self, kind: AlertKind, title: str, message: str, *, urgent: bool = False
    ) -> Alert | None:
        if kind in self._said:
            return None
        self._said.add(kind)
        return Alert(kind, title, message, urgent=urgent)
