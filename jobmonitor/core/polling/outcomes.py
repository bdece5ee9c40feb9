"""What the scheduler does with each request's outcome: one poll task's (``_poll``), or a batch
of the poll lane's (``_delivered``); either way an answer goes to ``Answers`` and anything else,
a bug included, becomes that job's ``ApiError`` (``as_api_error``), never the loop's death.
A mixin of ``PollScheduler``, which owns the state named below.
"""

from __future__ import annotations

import asyncio
from typing import cast

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import ApiError
from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.polling.answers import Answers
from jobmonitor.core.polling.inflight import InFlight, as_api_error
from jobmonitor.core.polling.lane import Ticket
from jobmonitor.core.polling.queue import PollEntry, PollQueue


class Outcomes:
    """See the module doc."""

    _client: StatusClient
    _answers: Answers
    _queue: PollQueue
    _in_flight: InFlight
    _status_urls: dict[str, str]
    _wake: asyncio.Event

    def _update_api_status(self) -> None:
        raise NotImplementedError

    async def _poll(self, job: PollEntry, sent_at: float, key_generation: int) -> None:
        handled = False
        try:
            try:
                url = self._status_urls.get(job.job_id)
                snapshot = await self._client.get_job(job.job_id, status_url=url)
            except Exception as exc:  # noqa: BLE001 - an ApiError, or a bug below: the job's fault
                job.in_flight = False
                handled = True
                self._answered_error(job, as_api_error(job.job_id, exc), sent_at, key_generation)
            else:
                job.in_flight = False
                handled = True
                try:
                    self._answers.on_snapshot(job, snapshot, sent_at)
                    self._update_api_status()
                except Exception as exc:  # noqa: BLE001 - logged by as_api_error
                    self._answered_error(
                        job, as_api_error(job.job_id, exc), sent_at, key_generation
                    )
        finally:
            if not handled:  # cancelled (stop) or a bug: the job is not lost, it is polled again
                self._unanswered(job)

    def _delivered(self, batch: list[Ticket]) -> None:
        """A batch of the lane's answers: each applied as ``_poll`` applies one, then one
        wake-up of the loop for all of them."""
        for ticket in batch:
            if ticket not in self._in_flight:
                continue  # stopped or unwatched meanwhile: the job was requeued then
            self._in_flight.discard(ticket)
            job, outcome = cast(PollEntry, ticket.context), ticket.outcome
            sent_at, generation, now = ticket.sent_at, ticket.key_generation, ticket.answered_at
            job.in_flight = False
            if isinstance(outcome, JobSnapshot):
                try:
                    self._answers.on_snapshot(job, outcome, sent_at, now)
                    self._update_api_status()
                except Exception as exc:  # noqa: BLE001 - logged by as_api_error
                    self._answered_error(job, as_api_error(job.job_id, exc), sent_at, generation)
            else:
                error = outcome if isinstance(outcome, Exception) else RuntimeError("no answer")
                self._answered_error(job, as_api_error(job.job_id, error), sent_at, generation, now)
        self._wake.set()

    def _unanswered(self, job: PollEntry) -> None:
        """A request that ended without an answer (stop): the job is polled again, not lost."""
        job.in_flight = False
        if self._queue.is_current(job) and job.job_id in self._queue.open:
            self._queue.requeue(job)

    def _answered_error(
        self,
        job: PollEntry,
        exc: ApiError,
        sent_at: float,
        key_generation: int,
        now: float | None = None,
    ) -> None:
        self._answers.on_error(job, exc, sent_at, key_generation, now)
        self._update_api_status()


__all__ = ["Outcomes"]
