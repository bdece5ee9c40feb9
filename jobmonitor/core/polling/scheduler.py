"""PollScheduler: turns the API's hints into one polling plan for any number of jobs (plain asyncio).

Rules (CONTRACT.md, issue 3):

- a job's next poll is due ``retry_after`` (bounded) after its previous poll was *sent*;
- "check now" goes first, then jobs never polled, then the job that has waited longest;
- one ``RequestBudget`` per API paces every request (sliding window, no bursts);
- 429 pauses every request until Retry-After, else until the budget's own count has room again
  (a repeated 429 earns a longer pause, see ``episode.Episode``), and lowers the budget;
- 401 pauses everything ("key rejected") until ``set_api_key``;
- 5xx, garbage, timeouts, refused connections: that job backs off (capped, full jitter);
- success, failed, 400, 403 and 404 are terminal (polled again only on "check now");
- anything else one poll raises (a bug, an answer nobody foresaw), or a listener raises about it,
  is that job's fault: logged, and the job backs off like after a 5xx. ``run()`` never dies of it;
- a request out longer than ``slow_after`` (real seconds) frees its slot (``inflight.py``).

This module is the loop that sends (dispatch, the request tasks, sleeping and waking) and the
watch list's entry points; what each answer does to the plan is ``answers.py``.

Time: ``clock`` (monotonic) schedules, ``wall_clock`` stamps events and countdowns. ``time_scale``
says how many clock seconds pass per real second, so tests can run the same rules on a fast clock.
Every request task is owned by ``run()``, which cancels and awaits them when it returns.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import cast

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import InvalidJobId
from jobmonitor.api.ids import JobId, is_canonical_job_id, normalize_job_id
from jobmonitor.core.polling.answers import Answers
from jobmonitor.core.polling.budget import RequestBudget
from jobmonitor.core.polling.health import ApiHealth
from jobmonitor.core.polling.inflight import InFlight
from jobmonitor.core.polling.jitter import DEFAULT_GUARD, MIN_GUARD
from jobmonitor.core.polling.lane import PollLane, Ticket
from jobmonitor.core.polling.outcomes import Outcomes
from jobmonitor.core.polling.queue import (
    CHECK_NOW,
    REGULAR,
    PollEntry,
    PollQueue,
    canonical_id,
)
from jobmonitor.core.state import ApiStatus, JobEvent, JobState

log = logging.getLogger(__name__)

REAL_JITTER = 0.05  # real seconds of send-to-server jitter the budget's guard must cover
DEFAULT_CONCURRENCY = 16  # in flight at once; 8 capped a 200 ms server at ~40 polls/s (benchmark)
DEFAULT_SLOW_AFTER = 5.0  # real seconds: a status answer takes milliseconds; this one is stuck


class PollScheduler(Outcomes):
    """Watches jobs of one API (one client, one key, one budget); see the module doc."""

    def __init__(
        self,
        client: StatusClient,
        *,
        rate_limit: int | None = None,
        budget: RequestBudget | None = None,
        max_concurrency: int = DEFAULT_CONCURRENCY,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        time_scale: float = 1.0,
        rng: random.Random | None = None,
        slow_after: float = DEFAULT_SLOW_AFTER,
        lane: PollLane | None = None,
    ) -> None:
        """``lane``: send the requests on its worker thread (the desktop app), not as tasks of
        this loop; its answers come back in batches (``_delivered``)."""
        self._client = client
        self._lane = lane
        self._clock = clock
        self._wall = wall_clock
        self._scale = time_scale
        self._rng = rng or random.Random()
        self._max_concurrency = max(1, max_concurrency)
        # The jitter guard is a real-time quantity: on a fast test clock it spans more clock time.
        guard = max(DEFAULT_GUARD, REAL_JITTER * time_scale)
        # A budget handed in is shared (submit --watch): one count for all sent to one API.
        self._budget = budget or RequestBudget(
            rate_limit,
            clock=clock,
            wall_clock=wall_clock,
            guard=guard,
            min_guard=MIN_GUARD * time_scale,
        )
        self._queue = PollQueue()
        self._status_urls: dict[str, str] = {}  # by canonical id: see use_status_urls
        self._in_flight = InFlight(self._max_concurrency, slow_after * time_scale)
        self._api_listeners: list[Callable[[ApiStatus], None]] = []
        self._wake = asyncio.Event()
        self._stopping = False
        self._running = False
        self._crash: BaseException | None = None
        self._paused = False
        self._health = ApiHealth(clock, wall_clock)
        self._answers = Answers(
            self._queue,
            self._budget,
            self._health,
            clock=clock,
            wall_clock=wall_clock,
            rng=self._rng,
        )
        self._all_terminal = self._answers.all_terminal
        self._update_api_status()

    def add_listener(self, cb: Callable[[JobEvent], None]) -> None:
        self._answers.listeners.append(cb)

    def add_api_listener(self, cb: Callable[[ApiStatus], None]) -> None:
        self._api_listeners.append(cb)

    # -- the watch list -------------------------------------------------------------------------
    def watch(
        self, job_id: str, *, state: JobState = JobState.PENDING, status_url: str | None = None
    ) -> None:
        """``status_url``: a submission's answer's, polled when on the API's origin (client.py)."""
        if status_url:
            self.use_status_urls({job_id: status_url})
        self._add(job_id, state)
        self._poke()

    def use_status_urls(self, urls: Mapping[str, str]) -> None:
        """Each job's ``status_url`` from its submission, polled when on the API's origin; kept
        by id whether or not the job is queued yet (a restored list reaches the queue a slice at
        a time) or still (an undone removal watches it again)."""
        for job_id, url in urls.items():
            self._status_urls[canonical_id(job_id)] = url

    def watch_many(self, job_ids: Iterable[str]) -> None:
        ids = list(job_ids)
        if all(map(is_canonical_job_id, ids)):  # the watch list's always are: in one pass
            if self._queue.add_new(ids):
                self._all_terminal.clear()
        else:
            for job_id in ids:
                self._add(job_id, JobState.PENDING)
        self._poke()

    def unwatch(self, job_id: str) -> None:
        self.unwatch_many([job_id])

    def unwatch_many(self, job_ids: Iterable[str]) -> None:
        """Stop watching jobs (a Delete of 50,000: a look-up each, one check, one wake-up)."""
        entries, removed = self._queue.entries, False
        for job_id in job_ids:
            key = job_id if job_id in entries else canonical_id(job_id)  # the list's are keys
            removed = self._queue.remove(key) is not None or removed
        if removed:
            self._answers.check_all_terminal()
            self._poke()

    def check_now(self, job_id: str) -> None:
        key = canonical_id(job_id)
        if key not in self._queue.entries:
            self._add(key, JobState.PENDING)
        job = self._queue.get(key)
        if (
            job is None
            or job.in_flight
            or (job.state is JobState.INVALID and job.last_sent is None)
        ):
            return
        self._queue.make_ready(job, CHECK_NOW)
        self._poke()

    @property
    def job_ids(self) -> list[str]:
        return list(self._queue.entries)

    def state_of(self, job_id: str) -> JobState | None:
        job = self._queue.get(canonical_id(job_id))
        return job.state if job is not None else None

    def next_due(self, job_id: str) -> float | None:
        """Wall-clock time of the next poll (None while in flight, terminal or unknown)."""
        return self.next_due_many([job_id])[0]

    def next_due_many(self, job_ids: Sequence[str]) -> list[float | None]:
        """``next_due`` of many jobs, the clocks read once (a sort by Next check asks it of
        100,000 jobs: one call each, with an id check each, was most of that sort's time)."""
        entries, open_, queue = self._queue.entries, self._queue.open, self._queue
        now, wall, blocked = self._clock(), self._wall(), self._budget.blocked_until
        dues: list[float | None] = []
        for job_id in job_ids:
            job = entries.get(job_id) or queue.get(canonical_id(job_id))  # the list's are keys
            if job is None or job.in_flight or (job.job_id not in open_ and job.cls != CHECK_NOW):
                dues.append(None)
                continue
            due = job.due if job.cls == REGULAR else now
            dues.append(wall + (max(due, blocked) - now))
        return dues

    def last_polled(self, job_id: str) -> float | None:
        """Wall-clock time of the last answer (or fault) about this job."""
        job = self._queue.get(canonical_id(job_id))
        return job.last_answer_wall if job is not None else None

    # -- controls ---------------------------------------------------------------------------------
    def pause(self) -> None:
        self._paused = True
        self._update_api_status()
        self._poke()

    def resume(self) -> None:
        self._paused = False
        self._update_api_status()
        self._poke()

    @property
    def paused(self) -> bool:
        return self._paused

    def set_api_key(self, key: str | None) -> None:
        self._client.api_key = key
        self._health.key_changed()
        self._update_api_status()
        self._poke()

    def set_rate_limit(self, per_minute: int | None) -> None:
        self._budget.set_configured(per_minute)
        self._poke()

    @property
    def budget(self) -> RequestBudget:  # what it learned, for the app to remember
        return self._budget

    @property
    def budget_usage(self) -> tuple[int, int | None]:
        return self._budget.used(), self._budget.limit

    @property
    def api_status(self) -> ApiStatus:
        return self._health.status

    # -- the loop ---------------------------------------------------------------------------------
    async def run(self) -> None:
        """Poll until ``stop()``; owns every request task and cancels them on the way out.

        A ``stop()`` that comes before ``run()`` has started still ends it (at once); after
        returning, ``run()`` may be called again.
        """
        if self._running:
            raise RuntimeError("PollScheduler.run() is already running")
        self._running = True
        self._crash = None
        if self._lane is not None:
            self._lane.start(self._delivered, self._clock)
        try:
            while not self._stopping:
                if self._crash is not None:
                    raise self._crash
                delay = self._dispatch_ready()
                if self._stopping:
                    break
                await self._sleep(delay)
        finally:
            self._running = False
            self._stopping = False
            tasks: list[asyncio.Task[None]] = []
            for request in self._in_flight:
                if isinstance(request, Ticket):  # its answer, if one comes, is ignored
                    self._in_flight.discard(request)
                    if self._lane is not None:
                        self._lane.cancel(request)
                    self._unanswered(cast(PollEntry, request.context))
                else:
                    tasks.append(cast(asyncio.Task[None], request))
                    tasks[-1].cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)

    def stop(self) -> None:
        self._stopping = True
        self._poke()

    async def wait_all_terminal(self) -> None:
        await self._all_terminal.wait()

    def _dispatch_ready(self) -> float | None:
        """Send every request allowed now; return clock seconds to the next chance (None: on wake)."""
        self._update_api_status()  # a pause may have run out
        while True:
            now = self._clock()
            self._queue.promote(now)
            if not self._in_flight.slot_free(now):
                return self._in_flight.until_slow(now)
            if self._health.key_rejected or self._client.api_key is None:
                return None
            blocked = self._budget.blocked_until - now
            if blocked > 0:
                return blocked
            job = self._queue.peek()
            if job is None or (self._paused and job.cls != CHECK_NOW):
                next_due = self._queue.next_due()
                if self._paused or next_due is None:
                    return None
                return max(0.0, next_due - now)
            wait = self._budget.delay(now)
            if wait > 0:
                self._budget.held_back(now)
                return wait
            self._queue.pop()
            self._send(job, now)

    def _send(self, job: PollEntry, now: float) -> None:
        self._budget.record(now)
        job.version += 1
        job.in_flight = True
        job.last_sent = now
        if self._lane is not None and self._lane.running:
            ticket = Ticket(job.job_id, self._status_urls.get(job.job_id), job)
            ticket.sent_at, ticket.key_generation = now, self._health.key_generation
            self._in_flight.add(ticket, now)
            self._lane.submit(ticket)
            return
        task = asyncio.get_running_loop().create_task(
            self._poll(job, now, self._health.key_generation)
        )
        self._in_flight.add(task, now)  # owned: cancelled and awaited by run()
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None and self._crash is None:
            self._crash = task.exception()
        self._poke()

    async def _sleep(self, delay: float | None) -> None:
        self._wake.clear()
        if delay is not None and delay <= 0:
            await asyncio.sleep(0)
            return
        try:
            async with asyncio.timeout(None if delay is None else delay / self._scale):
                await self._wake.wait()
        except TimeoutError:
            pass

    def _poke(self) -> None:
        self._wake.set()

    # -- the watch list's bookkeeping ---------------------------------------------------------
    def _add(self, raw_id: str, state: JobState) -> None:
        if is_canonical_job_id(raw_id):  # the watch list's ids are: 100,000 at start-up
            job_id = JobId(raw_id)
        else:
            try:
                job_id = normalize_job_id(raw_id)  # a JobId as it is
            except InvalidJobId as exc:
                self._add_invalid(raw_id, exc)
                return
        if self._queue.add(job_id, state) and not state.terminal:
            self._all_terminal.clear()

    def _add_invalid(self, raw_id: str, exc: InvalidJobId) -> None:
        """A malformed id is settled before any request is sent, and said so once."""
        key = raw_id.strip()  # the trimmed text of a malformed id is its own entry
        if self._queue.add(key, JobState.INVALID):
            job = self._queue.entries[key]
            self._answers.emit(job, JobState.PENDING, JobState.INVALID, error=exc)

    def _update_api_status(self) -> None:
        status = self._health.evaluate(
            paused=self._paused,
            has_key=self._client.api_key is not None,
            blocked_until=self._budget.blocked_until,
            budget=self._budget.pacing_limit,
        )
        if status is not None:
            for cb in list(self._api_listeners):
                cb(status)


__all__ = ["PollScheduler"]
