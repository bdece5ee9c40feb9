"""The pollers ``bench_scheduler.py`` compares, each on its own simulator over loopback (issue 13).

- ``ideal``: computed, not run. A round-robin poller that knows the limit L (requests/min) sends
  exactly every 60/L s to the job whose previous poll is oldest, never sooner than
  ``retry_after`` after that job's previous poll, with no concurrency bound and no 429s. An even
  pace of L a minute is within every kind of limit the simulator has (sliding, fixed, token
  bucket, penalty box), so one ideal serves them all. Without a limit it polls every job every
  ``retry_after`` s.
- ``run_scheduler``: the real ``PollScheduler`` over a real socket, told what the row says.
- ``run_example``: the provider's example loop (the seed's JavaScript ``checkStatus``).

Each run gets a fresh ``SimWorld`` and ``SimServer`` (its own port on 127.0.0.1), so rows can run
at once in separate processes. Detection latency = when the client observed a terminal answer
minus when the job finished on the server.
"""

from __future__ import annotations

import asyncio
import heapq
import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from jobmonitor.api.client import StatusClient
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import JobEvent
from jobmonitor.sim import SimServer, SimWorld

KEY = "bench-key-0123456789"
SCHEDULER_CAP = 480.0  # seconds: a scheduler run is stopped after this and misses are counted
EXAMPLE_CAP = 150.0  # the same for the provider's loop (it never finishes against small limits)
CONNECTIONS = 32  # both clients: the scheduler's requests in flight, the example's pool


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    server_limit: int | None  # requests per minute; None: no limit at all
    client_limit: int | None = None  # what the user set (None: told nothing)
    window: str = "sliding"  # the simulator's kind of limit (sim.limits.WINDOW_KINDS)
    headers: bool = False  # the server advertises the limit (X-RateLimit-*, Retry-After)
    latency: float = 0.1
    jobs: int = 200
    finish: tuple[float, float] = (20.0, 120.0)  # jobs finish at random within this span
    retry_after: float = 2.0
    seed: int = 7

    @property
    def told(self) -> bool:
        return self.client_limit is not None or self.headers

    @property
    def target(self) -> tuple[float, float]:
        """(latency / ideal, 429s / requests), at most: issue 13's targets."""
        return (1.0, 0.0) if self.told else (1.3, 0.02)


@dataclass
class Outcome:
    poller: str
    latencies: list[float]
    requests: int
    rate_limited: int
    missed: int = 0
    seconds: float = 0.0  # wall time the run took
    notes: list[str] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return statistics.fmean(self.latencies) if self.latencies else math.nan

    @property
    def worst(self) -> float:
        return max(self.latencies) if self.latencies else math.nan


def finish_offsets(s: Scenario) -> list[float]:
    rng = random.Random(s.seed)
    return [rng.uniform(*s.finish) for _ in range(s.jobs)]


def ideal(s: Scenario) -> Outcome:
    """The round-robin poller that knows the limit (see the module doc), simulated exactly."""
    offsets = finish_offsets(s)
    gap = 60.0 / s.server_limit if s.server_limit else 0.0
    heap = [(-math.inf, i) for i in range(len(offsets))]  # (previous send, job)
    heapq.heapify(heap)
    slot, latencies, sent = 0.0, [], 0
    while heap:
        previous, i = heapq.heappop(heap)
        send = max(slot, previous + s.retry_after)
        slot = send + gap
        sent += 1
        decided = send + s.latency  # the simulator decides after its latency, answers at once
        if offsets[i] <= decided:
            latencies.append(decided - offsets[i])
        else:
            heapq.heappush(heap, (send, i))
    return Outcome("ideal", latencies, sent, 0)


def build_world(s: Scenario, clock: Callable[[], float] = time.time) -> SimWorld:
    world = SimWorld(clock=clock, seed=s.seed, rate_limit=s.server_limit, rate_window=s.window)
    world.add_key(KEY)
    world.faults.latency = s.latency
    world.faults.rate_headers = s.headers
    world.faults.retry_after_header = s.headers  # told nothing: a bare 429, as the seed's API
    return world


def add_jobs(world: SimWorld, s: Scenario) -> list[str]:
    return [
        world.add_job(KEY, queued_for=o * 0.25, processing_for=o * 0.75, retry_after=s.retry_after)
        for o in finish_offsets(s)
    ]


def _http() -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    return httpx.AsyncClient(timeout=30.0, limits=limits)


async def watch_with_scheduler(
    s: Scenario,
    world: SimWorld,
    http: httpx.AsyncClient,
    base: str,
    ids: list[str],
    clock: Callable[[], float] = time.monotonic,
    wall: Callable[[], float] = time.time,
) -> Outcome:
    """The real PollScheduler watching ``ids`` until all are terminal (or the cap)."""
    client = StatusClient(http, base, api_key=KEY, wall_clock=wall)
    sched = PollScheduler(
        client,
        rate_limit=s.client_limit,
        max_concurrency=CONNECTIONS,
        clock=clock,
        wall_clock=wall,
    )
    seen: dict[str, float] = {}

    def on_event(event: JobEvent) -> None:
        if event.new.terminal:
            seen.setdefault(event.job_id, event.observed_at)

    sched.add_listener(on_event)
    sched.watch_many(ids)
    runner = asyncio.create_task(sched.run())
    try:
        await asyncio.wait_for(sched.wait_all_terminal(), SCHEDULER_CAP)
    except TimeoutError:
        pass
    finally:
        sched.stop()
        await runner
    latencies = [seen[j] - world.finish_time(j) for j in ids if j in seen]
    stats = world.stats
    budget = sched.budget
    out = Outcome("jobmonitor", latencies, stats.requests, stats.rate_limited)
    out.missed = len(ids) - len(latencies)
    limit = budget.limit
    learned = f"{limit}/min" if limit is not None else f"none (pace {budget.assumed}/min)"
    if budget.tentative:
        learned += " tentative"
    out.notes.append(f"budget {learned}" + (f", {budget.kind}" if budget.kind != "sliding" else ""))
    if out.missed:
        out.notes.append(f"{out.missed} not detected in {SCHEDULER_CAP:.0f} s")
    return out


async def run_scheduler(s: Scenario) -> Outcome:
    world = build_world(s)
    started = time.monotonic()
    with SimServer(world) as server:
        async with _http() as http:
            out = await watch_with_scheduler(s, world, http, server.api_url, add_jobs(world, s))
    out.seconds = time.monotonic() - started
    return out


async def _example_job(
    http: httpx.AsyncClient,
    base: str,
    job_id: str,
    done: Callable[[str, float], object],
    wall: Callable[[], float],
) -> None:
    """The seed's JavaScript ``checkStatus``, line by line (see the docstring of run_example)."""
    while True:
        res = await http.get(f"{base}/status-api/{job_id}", headers={"x-api-key": KEY})
        data = res.json()
        status = data.get("status")
        if status in ("success", "failed"):
            done(job_id, wall())
            return
        retry_after = data.get("retry_after")
        delay_ms = retry_after * 1000 if isinstance(retry_after, int | float) else math.nan
        # setTimeout(fn, NaN) fires after the minimum delay (1 ms in Node): a 429 body has no
        # retry_after, so the example asks again at once.
        await asyncio.sleep(delay_ms / 1000 if delay_ms >= 1 else 0.001)


async def example_loop(
    world: SimWorld,
    http: httpx.AsyncClient,
    base: str,
    ids: list[str],
    wall: Callable[[], float] = time.time,
) -> Outcome:
    """The provider's example loop: one ``checkStatus`` per job, all started at once, sleeping
    ``retry_after`` between polls and retrying at once after an answer without one (429, 500),
    over as many connections as the scheduler may use at once."""
    seen: dict[str, float] = {}
    tasks = [asyncio.create_task(_example_job(http, base, j, seen.setdefault, wall)) for j in ids]
    _, pending = await asyncio.wait(tasks, timeout=EXAMPLE_CAP)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [seen[j] - world.finish_time(j) for j in ids if j in seen]
    stats = world.stats
    out = Outcome("provider's loop", latencies, stats.requests, stats.rate_limited)
    out.missed = len(ids) - len(latencies)
    if out.missed:
        out.notes.append(f"{out.missed} not detected in {EXAMPLE_CAP:.0f} s")
    return out


async def run_example(s: Scenario) -> Outcome:
    world = build_world(s)
    started = time.monotonic()
    with SimServer(world) as server:
        async with _http() as http:
            out = await example_loop(world, http, server.api_url, add_jobs(world, s))
    out.seconds = time.monotonic() - started
    return out


def run_in_process(poller: str, s: Scenario) -> Outcome:
    """Entry point of a worker process: one poller on one scenario, on its own event loop."""
    runner = run_scheduler if poller == "scheduler" else run_example
    return asyncio.run(runner(s))
