"""PollScheduler: turns the API's hints into one polling plan for any number of jobs (plain asyncio).

Rules (CONTRACT.md, issue 3):

- a job's next poll is due ``retry_after`` (bounded) after its previous poll was *sent*;
- "check now" goes first, then jobs never polled, then the job that has waited longest;
- one ``RequestBudget`` per API paces every request (sliding window, no bursts);
- 429 pauses every request until Retry-After (or a backoff near a minute) and lowers the budget;
- 401 pauses everything and says "key rejected" until ``set_api_key``;
- 5xx, garbage, timeouts, refused connections: that job backs off (capped exponential, full
  jitter); after repeated faults the API shows as unreachable, and recovers by itself;
- success, failed, 400, 403 and 404 are terminal: the job is not polled again (unless "check now").

Time: ``clock`` (monotonic) schedules, ``wall_clock`` stamps events and countdowns. ``time_scale``
says how many clock seconds pass per real second, so tests can run the same rules on a fast clock.
Every request task is owned by ``run()``, which cancels and awaits them when it returns.
"""

from __future__ import annotations

import asyncio
import heapq
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import ApiError, AuthError, InvalidJobId, RateLimited
from jobmonitor.api.ids import normalize_job_id
from jobmonitor.api.models import DEFAULT_RETRY_AFTER, MAX_RETRY_AFTER, JobSnapshot, JobStatus
from jobmonitor.api.models import clamp_retry_after as _clamp
from jobmonitor.core.ratelimit import DEFAULT_GUARD, RequestBudget
from jobmonitor.core.state import ApiCondition, ApiStatus, JobEvent, JobState

BACKOFF_BASE = 2.0  # first transient retry within 0..2 s, doubling per consecutive fault
BACKOFF_CAP = 120.0
UNREACHABLE_FAULTS = 3  # consecutive faults, with no good answer for UNREACHABLE_AFTER seconds
UNREACHABLE_AFTER = 5.0
REAL_JITTER = 0.05  # real seconds of send-to-server jitter the budget's guard must cover

_CHECK_NOW, _NEW, _REGULAR = 0, 1, 2  # dispatch classes, lowest first


@dataclass(slots=True, eq=False)
class _Job:
    job_id: str
    state: JobState
    cls: int = _NEW
    wait_key: float = 0.0  # within a class: lower waited longer
    due: float = 0.0
    version: int = 0  # bumped on every reschedule; stale heap entries are skipped
    in_flight: bool = False
    faults: int = 0
    unknowns: int = 0
    last_sent: float | None = None
    last_answer_wall: float | None = None


class PollScheduler:
    """Watches jobs of one API (one client, one key, one budget); see the module doc."""

    def __init__(
        self,
        client: StatusClient,
        *,
        rate_limit: int | None = None,
        max_concurrency: int = 8,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        time_scale: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self._client = client
        self._clock = clock
        self._wall = wall_clock
        self._scale = time_scale
        self._rng = rng or random.Random()
        self._max_concurrency = max(1, max_concurrency)
        # The jitter guard is a real-time quantity: on a fast test clock it spans more clock time.
        guard = max(DEFAULT_GUARD, REAL_JITTER * time_scale)
        self._budget = RequestBudget(rate_limit, clock=clock, guard=guard)
        self._jobs: dict[str, _Job] = {}
        self._timers: list[tuple[float, int, str, int]] = []  # (due, seq, id, version)
        self._ready: list[tuple[int, float, int, str, int]] = []  # (cls, key, seq, id, version)
        self._seq = 0
        self._open: set[str] = set()  # watched and not terminal
        self._in_flight: set[asyncio.Task[None]] = set()
        self._listeners: list[Callable[[JobEvent], None]] = []
        self._api_listeners: list[Callable[[ApiStatus], None]] = []
        self._wake = asyncio.Event()
        self._all_terminal = asyncio.Event()
        self._all_terminal.set()
        self._stopping = False
        self._running = False
        self._crash: BaseException | None = None
        self._paused = False
        self._key_rejected = False
        self._key_generation = 0  # a 401 to a request sent with an older key pauses nothing
        self._faults = 0
        self._last_good = clock()
        self._seen_answer = False
        self._api_status = ApiStatus(ApiCondition.IDLE)
        self._status_since = wall_clock()
        self._update_api_status()

    # -- listeners --------------------------------------------------------------------------
    def add_listener(self, cb: Callable[[JobEvent], None]) -> None:
        self._listeners.append(cb)

    def add_api_listener(self, cb: Callable[[ApiStatus], None]) -> None:
        self._api_listeners.append(cb)

    # -- the watch list -------------------------------------------------------------------------
    def watch(self, job_id: str, *, state: JobState = JobState.PENDING) -> None:
        self._add(job_id, state)
        self._poke()

    def watch_many(self, job_ids: Iterable[str]) -> None:
        for job_id in job_ids:
            self._add(job_id, JobState.PENDING)
        self._poke()

    def unwatch(self, job_id: str) -> None:
        job = self._jobs.pop(_canonical(job_id), None)
        if job is None:
            return
        job.version += 1
        self._open.discard(job.job_id)
        self._check_all_terminal()
        self._poke()

    def check_now(self, job_id: str) -> None:
        job = self._jobs.get(_canonical(job_id))
        if job is None:
            self._add(job_id, JobState.PENDING)
            job = self._jobs.get(_canonical(job_id))
        if (
            job is None
            or job.in_flight
            or (job.state is JobState.INVALID and job.last_sent is None)
        ):
            return
        self._make_ready(job, _CHECK_NOW, self._next_seq())
        self._poke()

    @property
    def job_ids(self) -> list[str]:
        return list(self._jobs)

    def state_of(self, job_id: str) -> JobState | None:
        job = self._jobs.get(_canonical(job_id))
        return job.state if job is not None else None

    def next_due(self, job_id: str) -> float | None:
        """Wall-clock time of the next poll (None while in flight, terminal or unknown)."""
        job = self._jobs.get(_canonical(job_id))
        if job is None or job.in_flight or (job.job_id not in self._open and job.cls != _CHECK_NOW):
            return None
        now = self._clock()
        due = job.due if job.cls == _REGULAR else now
        due = max(due, self._budget.blocked_until)
        return self._wall() + (due - now)

    def last_polled(self, job_id: str) -> float | None:
        """Wall-clock time of the last answer (or fault) about this job."""
        job = self._jobs.get(_canonical(job_id))
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
        self._key_generation += 1
        self._key_rejected = False
        self._update_api_status()
        self._poke()

    def set_rate_limit(self, per_minute: int | None) -> None:
        self._budget.set_configured(per_minute)
        self._poke()

    @property
    def budget_usage(self) -> tuple[int, int | None]:
        return self._budget.used(), self._budget.limit

    @property
    def api_status(self) -> ApiStatus:
        return self._api_status

    # -- the loop ---------------------------------------------------------------------------------
    async def run(self) -> None:
        """Poll until ``stop()``; owns every request task and cancels them on the way out."""
        if self._running:
            raise RuntimeError("PollScheduler.run() is already running")
        self._running = True
        self._stopping = False
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
            for task in self._in_flight:
                task.cancel()
            if self._in_flight:
                await asyncio.gather(*self._in_flight, return_exceptions=True)

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
            self._promote(now)
            if len(self._in_flight) >= self._max_concurrency:
                return None
            if self._key_rejected or self._client.api_key is None:
                return None
            blocked = self._budget.blocked_until - now
            if blocked > 0:
                return blocked
            job = self._peek_ready()
            if job is None or (self._paused and job.cls != _CHECK_NOW):
                if self._paused or not self._timers:
                    return None
                return max(0.0, self._timers[0][0] - now)
            wait = self._budget.delay(now)
            if wait > 0:
                return wait
            heapq.heappop(self._ready)
            self._send(job, now)

    def _send(self, job: _Job, now: float) -> None:
        self._budget.record(now)
        job.version += 1
        job.in_flight = True
        job.last_sent = now
        task = asyncio.get_running_loop().create_task(self._poll(job, now, self._key_generation))
        self._in_flight.add(task)  # owned: cancelled and awaited by run()
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        if not task.cancelled() and task.exception() is not None and self._crash is None:
            self._crash = task.exception()
        self._poke()

    async def _poll(self, job: _Job, sent_at: float, key_generation: int) -> None:
        handled = False
        try:
            try:
                snapshot = await self._client.get_job(job.job_id)
            except ApiError as exc:
                job.in_flight = False
                handled = True
                self._on_error(job, exc, sent_at, key_generation)
            else:
                job.in_flight = False
                handled = True
                self._on_snapshot(job, snapshot, sent_at)
        finally:
            if not handled:  # cancelled (stop) or a bug: the job is not lost, it is polled again
                job.in_flight = False
                if job.job_id in self._jobs and job.job_id in self._open:
                    self._make_ready(job, job.cls, job.wait_key)

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

    # -- answers -------------------------------------------------------------------------------------
    def _on_snapshot(self, job: _Job, snapshot: JobSnapshot, sent_at: float) -> None:
        now = self._clock()
        self._reachable(now)
        self._budget.on_success()
        self._budget.observe(snapshot.rate_limit, now)
        self._update_api_status()
        if self._jobs.get(job.job_id) is not job:
            return  # unwatched while the request was out
        old = job.state
        new = JobState.from_status(snapshot.status)
        job.faults = 0
        if new.terminal:
            self._settle(job, new)
        else:
            interval = _clamp(snapshot.retry_after)
            if snapshot.status is JobStatus.UNKNOWN:  # undocumented status: keep polling, slower
                job.unknowns += 1
                backoff = DEFAULT_RETRY_AFTER * 2 ** (job.unknowns - 1)
                interval = max(interval, min(backoff, MAX_RETRY_AFTER))
            else:
                job.unknowns = 0
            job.state = new
            self._open.add(job.job_id)
            self._schedule(job, sent_at + interval)
        self._emit(job, old, new, snapshot=snapshot)

    def _on_error(self, job: _Job, exc: ApiError, sent_at: float, key_generation: int) -> None:
        now = self._clock()
        self._budget.observe(exc.rate_limit, now)
        terminal = JobState.from_error(exc)
        if isinstance(exc, RateLimited):
            self._reachable(now)
            self._budget.on_rate_limited(sent_at, exc.retry_after, now)
        elif isinstance(exc, AuthError):
            self._reachable(now)
            self._key_rejected |= key_generation == self._key_generation
        elif terminal is not None:
            self._reachable(now)
            self._budget.on_success()
        else:
            self._faults += 1
        self._update_api_status()
        if self._jobs.get(job.job_id) is not job:
            return  # unwatched while the request was out
        old = job.state
        if terminal is not None:
            self._settle(job, terminal)
        elif isinstance(exc, AuthError | RateLimited):
            self._requeue(job)  # not an answer about the job: it keeps its place
        else:  # transient: this job backs off (capped exponential, full jitter)
            job.faults += 1
            ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (job.faults - 1))
            backoff = max(self._rng.uniform(0.0, ceiling), 1.0)  # never a tight loop
            if job.job_id in self._open:
                self._schedule(job, now + backoff)
            else:
                job.cls = _REGULAR  # a "check now" of a settled job that did not get through
        self._emit(job, old, job.state, error=exc)

    def _reachable(self, now: float) -> None:
        self._faults = 0
        self._last_good = now
        self._seen_answer = True

    def _settle(self, job: _Job, state: JobState) -> None:
        job.state = state
        job.version += 1
        job.cls = _REGULAR
        self._open.discard(job.job_id)
        self._check_all_terminal()

    def _requeue(self, job: _Job) -> None:
        """Not answered (401/429): poll again first thing when allowed, in its old place."""
        if job.job_id in self._open or job.cls == _CHECK_NOW:
            self._make_ready(job, job.cls, job.wait_key)

    def _emit(
        self,
        job: _Job,
        old: JobState,
        new: JobState,
        *,
        snapshot: JobSnapshot | None = None,
        error: ApiError | None = None,
    ) -> None:
        job.last_answer_wall = self._wall()
        event = JobEvent(job.job_id, old, new, job.last_answer_wall, snapshot, error)
        for cb in list(self._listeners):
            cb(event)

    # -- scheduling structures ------------------------------------------------------------
    def _add(self, raw_id: str, state: JobState) -> None:
        try:
            job_id = normalize_job_id(raw_id)
        except InvalidJobId as exc:
            self._add_invalid(raw_id, exc)
            return
        if job_id in self._jobs:
            return
        job = _Job(job_id, state)
        self._jobs[job_id] = job
        if state.terminal:
            job.cls = _REGULAR
            return
        self._open.add(job_id)
        self._all_terminal.clear()
        self._make_ready(job, _NEW, self._next_seq())

    def _add_invalid(self, raw_id: str, exc: InvalidJobId) -> None:
        """A malformed id is settled before any request is sent, and said so once."""
        key = _canonical(raw_id)
        if key in self._jobs:
            return
        job = _Job(key, JobState.INVALID, cls=_REGULAR)
        self._jobs[key] = job
        self._emit(job, JobState.PENDING, JobState.INVALID, error=exc)

    def _make_ready(self, job: _Job, cls: int, key: float) -> None:
        job.version += 1
        job.cls = cls
        job.wait_key = key
        heapq.heappush(self._ready, (cls, key, self._next_seq(), job.job_id, job.version))

    def _schedule(self, job: _Job, due: float) -> None:
        job.version += 1
        job.cls = _REGULAR
        job.due = due
        # Longest waiting first: the job whose previous poll went out earliest.
        job.wait_key = job.last_sent if job.last_sent is not None else due
        heapq.heappush(self._timers, (due, self._next_seq(), job.job_id, job.version))

    def _promote(self, now: float) -> None:
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, job_id, version = heapq.heappop(timers)
            job = self._jobs.get(job_id)
            if job is not None and job.version == version:
                self._make_ready(job, _REGULAR, job.wait_key)

    def _peek_ready(self) -> _Job | None:
        ready = self._ready
        while ready:
            _, _, _, job_id, version = ready[0]
            job = self._jobs.get(job_id)
            if job is not None and job.version == version and not job.in_flight:
                return job
            heapq.heappop(ready)
        return None

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _check_all_terminal(self) -> None:
        if not self._open:
            self._all_terminal.set()

    # -- the API's condition --------------------------------------------------------------
    def _update_api_status(self) -> None:
        now = self._clock()
        blocked = self._budget.blocked_until
        until: float | None = None
        detail = ""
        if self._paused:
            condition = ApiCondition.PAUSED
        elif self._client.api_key is None:
            condition, detail = ApiCondition.KEY_MISSING, "no API key is set"
        elif self._key_rejected:
            condition, detail = ApiCondition.KEY_REJECTED, "the API rejected the key (401)"
        elif blocked > now:
            condition = ApiCondition.RATE_LIMITED
            until = self._wall() + (blocked - now)
            detail = f"rate limited; budget now {self._budget.pacing_limit} requests/min"
        elif self._faults >= UNREACHABLE_FAULTS and now - self._last_good >= UNREACHABLE_AFTER:
            condition = ApiCondition.UNREACHABLE
            detail = f"{self._faults} failed requests in a row"
        elif self._seen_answer:
            condition = ApiCondition.ONLINE
        else:
            condition = ApiCondition.IDLE
        if condition is not self._api_status.condition:
            self._status_since = self._wall()
        status = ApiStatus(condition, self._status_since, until, detail)
        if status != self._api_status:
            self._api_status = status
            for cb in list(self._api_listeners):
                cb(status)


def _canonical(job_id: str) -> str:
    try:
        return normalize_job_id(job_id)
    except InvalidJobId:
        return job_id.strip()


__all__ = ["PollScheduler"]
