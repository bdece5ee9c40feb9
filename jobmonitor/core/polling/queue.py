"""PollQueue: which watched job to poll next, and when (the scheduler's bookkeeping, no I/O).

Intervals: a job's next poll is due its bounded ``retry_after`` after its previous poll went out;
an undocumented status is polled ever slower; a transient fault backs off exponentially with
full jitter (capped, and never sooner than a second).

Two heaps: *timers* hold jobs not yet due (by due time); *ready* holds jobs that may go now, by
class (check-now, then never polled, then regular) and, within a class, by how long they have
waited (regular jobs: the time their previous poll went out). Entries carry a version; any
reschedule bumps it, so stale heap items are skipped instead of searched for and removed, and
every operation stays O(log n) for tens of thousands of jobs.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass
from itertools import repeat

from jobmonitor.api.errors import InvalidJobId
from jobmonitor.api.ids import normalize_job_id
from jobmonitor.api.models import (
    DEFAULT_RETRY_AFTER,
    MAX_RETRY_AFTER,
    MIN_RETRY_AFTER,
    JobSnapshot,
    JobStatus,
    clamp_retry_after,
)
from jobmonitor.core.state import JobState

CHECK_NOW, NEW, REGULAR = 0, 1, 2  # dispatch classes, lowest first
BACKOFF_BASE = 2.0  # first transient retry within 0..2 s, doubling per consecutive fault
BACKOFF_CAP = 120.0


@dataclass(slots=True, eq=False)
class PollEntry:
    """One watched job as the scheduler sees it."""

    job_id: str
    state: JobState
    cls: int = NEW
    wait_key: float = 0.0  # within a class: lower has waited longer
    due: float = 0.0  # clock time the next regular poll is due
    version: int = 0
    in_flight: bool = False
    faults: int = 0  # consecutive transient faults of this job
    unknowns: int = 0  # consecutive answers with an undocumented status
    last_sent: float | None = None  # clock time the last request about it went out
    last_answer_wall: float | None = None


class PollQueue:
    """Watched jobs, the open (not terminal) ones, and the order to poll them in."""

    def __init__(self) -> None:
        self.entries: dict[str, PollEntry] = {}
        self.open: set[str] = set()
        self._timers: list[tuple[float, int, str, int]] = []  # (due, seq, id, version)
        self._ready: list[tuple[int, float, int, str, int]] = []  # (cls, key, seq, id, version)
        self._seq = 0

    def get(self, job_id: str) -> PollEntry | None:
        return self.entries.get(job_id)

    def is_current(self, entry: PollEntry) -> bool:
        """Still watched (not unwatched, nor replaced by a new watch of the same id)."""
        return self.entries.get(entry.job_id) is entry

    def add(self, job_id: str, state: JobState) -> bool:
        """Watch a job; a terminal state is remembered and not polled. False if already there."""
        if job_id in self.entries:
            return False
        entry = PollEntry(job_id, state)
        self.entries[job_id] = entry
        if state.terminal:
            entry.cls = REGULAR
        else:
            self.open.add(job_id)
            self.make_ready(entry, NEW)
        return True

    def add_new(self, job_ids: list[str]) -> bool:
        """``add`` of many never-polled jobs at once (100,000 at start-up): entries made in one
        pass, the ready heap rebuilt once instead of pushed to per job. False if none was new."""
        entries, ready = self.entries, self._ready
        fresh = [j for j in dict.fromkeys(job_ids) if j not in entries]
        if not fresh:
            return False
        # (a job's wait key and its heap item's sequence number are the next two numbers)
        base, pending = self._seq, JobState.PENDING
        keys = range(base + 1, base + 2 * len(fresh), 2)
        made = [PollEntry(j, pending, NEW, k, 0.0, 1) for j, k in zip(fresh, keys, strict=True)]
        entries.update(zip(fresh, made, strict=True))
        self._seq = base + 2 * len(fresh)
        items = list(zip(repeat(NEW), keys, range(base + 2, self._seq + 1, 2), fresh, repeat(1)))
        self.open.update(fresh)
        # k pushes cost k·log n; a rebuild costs n + k: push only a few into a big heap.
        if len(items) * 16 < len(ready):
            for item in items:
                heapq.heappush(ready, item)
        else:
            ready.extend(items)
            heapq.heapify(ready)
        return True

    def remove(self, job_id: str) -> PollEntry | None:
        entry = self.entries.pop(job_id, None)
        if entry is not None:
            entry.version += 1
            self.open.discard(job_id)
        return entry

    def make_ready(self, entry: PollEntry, cls: int, key: float | None = None) -> None:
        """Due now, in class ``cls``; ``key`` orders within the class (default: behind all)."""
        entry.version += 1
        entry.cls = cls
        entry.wait_key = self._next_seq() if key is None else key
        item = (cls, entry.wait_key, self._next_seq(), entry.job_id, entry.version)
        heapq.heappush(self._ready, item)

    def requeue(self, entry: PollEntry) -> None:
        """Not answered (401, 429, cancelled): ready again, keeping its class and place."""
        self.make_ready(entry, entry.cls, entry.wait_key)

    def schedule(self, entry: PollEntry, due: float) -> None:
        """A regular poll at clock time ``due``; it then waits behind jobs polled before it."""
        entry.version += 1
        entry.cls = REGULAR
        entry.due = due
        entry.wait_key = entry.last_sent if entry.last_sent is not None else due
        heapq.heappush(self._timers, (due, self._next_seq(), entry.job_id, entry.version))

    def settle(self, entry: PollEntry, state: JobState) -> None:
        """Terminal: not polled again (unless asked to check now)."""
        entry.state = state
        entry.version += 1
        entry.cls = REGULAR
        self.open.discard(entry.job_id)

    def promote(self, now: float) -> None:
        """Move every job due by ``now`` from the timers to the ready heap."""
        timers = self._timers
        while timers and timers[0][0] <= now:
            _, _, job_id, version = heapq.heappop(timers)
            entry = self.entries.get(job_id)
            if entry is not None and entry.version == version:
                self.make_ready(entry, REGULAR, entry.wait_key)

    def peek(self) -> PollEntry | None:
        """The job to poll next, if any is ready (stale items are dropped on the way)."""
        ready = self._ready
        while ready:
            _, _, _, job_id, version = ready[0]
            entry = self.entries.get(job_id)
            if entry is not None and entry.version == version and not entry.in_flight:
                return entry
            heapq.heappop(ready)
        return None

    def pop(self) -> None:
        """Drop the item ``peek`` returned (the caller sends its request)."""
        heapq.heappop(self._ready)

    def next_due(self) -> float | None:
        """Clock time of the earliest timer (possibly a stale one: a harmless early wake-up)."""
        return self._timers[0][0] if self._timers else None

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq


def next_interval(entry: PollEntry, snapshot: JobSnapshot) -> float:
    """Seconds from this poll's send to the next one, after a non-terminal answer."""
    entry.faults = 0
    interval = clamp_retry_after(snapshot.retry_after)
    if snapshot.status is not JobStatus.UNKNOWN:
        entry.unknowns = 0
        return interval
    entry.unknowns += 1  # an undocumented status: keep polling, ever slower
    backoff = DEFAULT_RETRY_AFTER * 2.0 ** (entry.unknowns - 1)
    return max(interval, min(backoff, MAX_RETRY_AFTER))


def fault_backoff(entry: PollEntry, rng: random.Random) -> float:
    """Seconds until a job retries after a transient fault: capped exponential, full jitter."""
    entry.faults += 1
    ceiling = min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (entry.faults - 1))
    return max(rng.uniform(0.0, ceiling), MIN_RETRY_AFTER)  # never a tight loop


def canonical_id(job_id: str) -> str:
    """The normalised id (a ``JobId`` as it is), or the trimmed text of a malformed one (kept as
    its own entry)."""
    try:
        return normalize_job_id(job_id)
    except InvalidJobId:
        return job_id.strip()
