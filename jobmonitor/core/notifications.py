"""Which finished jobs deserve a desktop notification, and coalescing many into one (no Qt)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from jobmonitor.core.state import JobEvent, JobState

DEFAULT_WINDOW = 1.5  # seconds: jobs finishing this close together make one notification
_WATCHED_RUNNING = frozenset(
    {JobState.SUBMITTED, JobState.QUEUED, JobState.PROCESSING, JobState.UNKNOWN}
)


class Outcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    PROBLEM = "problem"  # forbidden / not found / invalid while it was being watched


@dataclass(frozen=True, slots=True)
class Finished:
    """One job that reached a terminal state while the app was watching it."""

    job_id: str
    label: str | None
    state: JobState
    detail: str = ""  # e.g. the error code and message of a failed job

    @property
    def outcome(self) -> Outcome:
        if self.state is JobState.SUCCESS:
            return Outcome.SUCCEEDED
        if self.state is JobState.FAILED:
            return Outcome.FAILED
        return Outcome.PROBLEM

    @property
    def name(self) -> str:
        """The label, else the start of the id (enough to recognise it in a list)."""
        return self.label or f"Job {self.job_id[:8]}…"


@dataclass(frozen=True, slots=True)
class Notification:
    """What to show. ``job_id`` is set when it is about one job (a click opens that job)."""

    title: str
    message: str
    job_ids: tuple[str, ...]
    failed: bool  # at least one failure or problem: shown with a warning icon
    items: tuple[Finished, ...] = ()  # what it summarises (a later burst can fold it in)

    @property
    def job_id(self) -> str | None:
        return self.job_ids[0] if len(self.job_ids) == 1 else None


def finished_from_event(event: JobEvent, label: str | None) -> Finished | None:
    """The finished job an event reports, or None when it is not news.

    Only a transition from a running state counts: a job that was already terminal when first
    answered (just added, or restored) is in the table for the user to see, and a thousand
    pasted old ids must not make a thousand notifications.
    """
    if not event.changed or not event.new.terminal or event.old not in _WATCHED_RUNNING:
        return None
    detail = ""
    error = event.snapshot.error if event.snapshot is not None else None
    if error is not None:
        detail = f"{error.code}: {error.message}" if error.message else error.code
    elif event.error is not None:
        detail = event.error.message
    return Finished(event.job_id, label, event.new, detail)


class NotificationCoalescer:
    """Collects finished jobs and turns them into one notification per window.

    The owner calls ``add`` for each event; when it returns True a new window has opened and the
    owner calls ``flush`` ``window`` seconds later (a Qt timer in the tray, directly in tests).
    ``wants`` decides per outcome whether the user asked to be told (read at add time, so a
    change in the settings applies at once).
    """

    def __init__(
        self,
        wants: Callable[[Outcome], bool] = lambda _outcome: True,
        *,
        window: float = DEFAULT_WINDOW,
    ) -> None:
        self.window = window
        self._wants = wants
        self._pending: dict[str, Finished] = {}

    @property
    def pending(self) -> int:
        return len(self._pending)

    def add(self, event: JobEvent, label: str | None) -> bool:
        """Take one event; True when it opened a new window (schedule a flush)."""
        finished = finished_from_event(event, label)
        if finished is None or not self._wants(finished.outcome):
            return False
        opened = not self._pending
        self._pending.pop(finished.job_id, None)  # the latest news about a job wins
        self._pending[finished.job_id] = finished
        return opened

    def flush(self) -> Notification | None:
        """The notification for everything collected since the window opened, if anything."""
        items = list(self._pending.values())
        self._pending.clear()
        return summarize(items) if items else None


def summarize(items: list[Finished]) -> Notification:
    """One notification for these finished jobs (the latest news of a job wins)."""
    latest = list({item.job_id: item for item in items}.values())
    note = _single(latest[0]) if len(latest) == 1 else _many(latest)
    return Notification(note.title, note.message, note.job_ids, note.failed, tuple(latest))


def _single(item: Finished) -> Notification:
    outcome = item.outcome
    if outcome is Outcome.SUCCEEDED:
        title, message = "Job succeeded", f"{item.name} finished successfully."
    elif outcome is Outcome.FAILED:
        title = "Job failed"
        message = f"{item.name} failed" + (f": {item.detail}" if item.detail else ".")
    else:
        title = f"Job stopped: {item.state.label}"
        message = f"{item.name}" + (f": {item.detail}" if item.detail else "")
    return Notification(title, message, (item.job_id,), outcome is not Outcome.SUCCEEDED)


_PROBLEM_WORDS = {
    JobState.NOT_FOUND: "not found",
    JobState.FORBIDDEN: "forbidden",
    JobState.INVALID: "invalid id",
}


def _many(items: list[Finished]) -> Notification:
    succeeded = sum(1 for i in items if i.outcome is Outcome.SUCCEEDED)
    failed = sum(1 for i in items if i.outcome is Outcome.FAILED)
    parts = [f"{succeeded} succeeded"] if succeeded else []
    if failed:
        parts.append(f"{failed} failed")
    for state, words in _PROBLEM_WORDS.items():
        count = sum(1 for i in items if i.state is state)
        if count:
            parts.append(f"{count} {words}")
    if succeeded == len(items):
        title, message = f"{len(items)} jobs succeeded", "All finished successfully."
    elif failed == len(items):
        title, message = f"{len(items)} jobs failed", "Open the watch list for the errors."
    else:
        title, message = f"{len(items)} jobs finished", ", ".join(parts)
    ids = tuple(i.job_id for i in items)
    return Notification(title, message, ids, succeeded < len(items))
