"""What an answer (or a fault) about one job does to the polling plan, the budget and the API's
health; the listeners are told of it here too (``PollScheduler`` owns the loop that sends).

- a non-terminal answer schedules the job's next poll ``retry_after`` (bounded) after the send;
- success, failed, 400, 403 and 404 settle the job (polled again only on "check now");
- a 429 teaches the budget and puts the job back in its old place; a 401 tells the health;
- anything else is transient: that job backs off (capped exponential, full jitter).

A listener that raises is logged and skipped: one listener's bug never stops the others, nor
the loop.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable

from jobmonitor.api.errors import ApiError, AuthError, RateLimited
from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.polling.budget import RequestBudget
from jobmonitor.core.polling.health import ApiHealth
from jobmonitor.core.polling.queue import (
    CHECK_NOW,
    REGULAR,
    PollEntry,
    PollQueue,
    fault_backoff,
    next_interval,
)
from jobmonitor.core.state import JobEvent, JobState

log = logging.getLogger("jobmonitor.core.polling.scheduler")


class Answers:
    """Applies answers to the queue, the budget and the health; emits the jobs' events."""

    def __init__(
        self,
        queue: PollQueue,
        budget: RequestBudget,
        health: ApiHealth,
        *,
        clock: Callable[[], float],
        wall_clock: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self._queue = queue
        self._budget = budget
        self._health = health
        self._clock = clock
        self._wall = wall_clock
        self._rng = rng
        self.listeners: list[Callable[[JobEvent], None]] = []
        self.all_terminal = asyncio.Event()
        self.all_terminal.set()

    def on_snapshot(
        self, job: PollEntry, snapshot: JobSnapshot, sent_at: float, now: float | None = None
    ) -> None:
        """``now``: the clock time the answer came (default: now; the poll lane's come in
        batches, each with its own time)."""
        now = self._clock() if now is None else now
        self._health.answered(now)
        self._budget.on_success(sent_at, now)
        self._budget.observe(snapshot.rate_limit, now)
        if not self._queue.is_current(job):
            return  # unwatched while the request was out
        old = job.state
        new = JobState.from_status(snapshot.status)
        if new.terminal:
            self.settle(job, new)
        else:
            interval = next_interval(job, snapshot)
            job.state = new
            self._queue.open.add(job.job_id)  # a settled job checked again may run once more
            self.all_terminal.clear()
            self._queue.schedule(job, sent_at + interval)
        self.emit(job, old, new, snapshot=snapshot)

    def on_error(
        self,
        job: PollEntry,
        exc: ApiError,
        sent_at: float,
        key_generation: int,
        now: float | None = None,
    ) -> None:
        now = self._clock() if now is None else now
        self._budget.observe(exc.rate_limit, now)
        terminal = JobState.from_error(exc)
        if isinstance(exc, RateLimited):
            self._health.answered(now)
            self._budget.on_rate_limited(sent_at, exc.retry_after, now)
        elif isinstance(exc, AuthError):
            self._health.answered(now)
            self._health.rejected(key_generation)
        elif terminal is not None:
            self._health.answered(now)
            self._budget.on_success(sent_at, now)
        else:
            self._health.fault(str(exc))
            self._budget.on_fault(sent_at)
        if not self._queue.is_current(job):
            return  # unwatched while the request was out
        old = job.state
        if terminal is not None:
            self.settle(job, terminal)
        elif isinstance(exc, AuthError | RateLimited):
            # Not an answer about the job: poll again first thing when allowed, in its old place.
            if job.job_id in self._queue.open or job.cls == CHECK_NOW:
                self._queue.requeue(job)
        else:  # transient: this job backs off (capped exponential, full jitter)
            backoff = fault_backoff(job, self._rng)
            if job.job_id in self._queue.open:
                self._queue.schedule(job, now + backoff)
            else:
                job.cls = REGULAR  # a "check now" of a settled job that did not get through
        self.emit(job, old, job.state, error=exc)

    def settle(self, job: PollEntry, state: JobState) -> None:
        self._queue.settle(job, state)
        self.check_all_terminal()

    def check_all_terminal(self) -> None:
        if not self._queue.open:
            self.all_terminal.set()

    def emit(
        self,
        job: PollEntry,
        old: JobState,
        new: JobState,
        *,
        snapshot: JobSnapshot | None = None,
        error: ApiError | None = None,
    ) -> None:
        job.last_answer_wall = self._wall()
        event = JobEvent(job.job_id, old, new, job.last_answer_wall, snapshot, error)
        for cb in list(self.listeners):
            try:
                cb(event)
            except Exception:  # a listener's bug must not stop the other listeners or the loop
                log.exception("a listener failed on an event about job %s", job.job_id)


__all__ = ["Answers"]
