"""Shared set-up for the scheduler tests: a fast clock, a simulator that logs requests, a harness.

``harness()`` runs the simulator on a loopback socket on a clock ``scale`` times faster than real
time; ``virtual_harness()`` runs it in process (``httpx.ASGITransport``) on a ``VirtualTimeLoop``
(virtualtime.py), where every timing is exact whatever the machine's load: a test that asserts
spacing or pace belongs there."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import virtualtime

from jobmonitor.api.client import StatusClient
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import ApiCondition, ApiStatus, JobEvent
from jobmonitor.sim import SimServer, SimWorld
from jobmonitor.sim.app import create_api_app
from jobmonitor.sim.faults import Answer

KEY = "test-key-0123456789"


class FastTime:
    """Clocks that run ``scale`` times faster than real time, shared by the world and the client."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self._real0 = time.monotonic()
        self._wall0 = time.time()

    def elapsed(self) -> float:
        return (time.monotonic() - self._real0) * self.scale

    def mono(self) -> float:
        return 1000.0 + self.elapsed()

    def wall(self) -> float:
        return self._wall0 + self.elapsed()


class VirtualClocks:
    """The clocks of the running ``VirtualTimeLoop``, shaped like ``FastTime`` (scale 1)."""

    scale = 1.0

    def __init__(self) -> None:
        self._loop = virtualtime.loop()
        self._start = self._loop.time()

    def elapsed(self) -> float:
        return self._loop.time() - self._start

    def mono(self) -> float:
        return self._loop.time()

    def wall(self) -> float:
        return self._loop.wall()


@dataclass(frozen=True)
class Hit:
    at: float  # world (wall) clock when the server decided the answer
    key: str | None
    job_id: str
    status: int


@dataclass(kw_only=True, eq=False)
class RecordingWorld(SimWorld):
    """The real simulated world, plus a log of every API request it decided (sim-side truth)."""

    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__post_init__()
        self._hits_lock = threading.Lock()

    def handle(self, route: str, key: str | None, raw_id: str | None) -> Answer:
        answer = super().handle(route, key, raw_id)
        with self._hits_lock:
            self.hits.append(Hit(self.clock(), key, (raw_id or "").lower(), answer.status))
        return answer

    def log(self) -> list[Hit]:
        with self._hits_lock:
            return list(self.hits)

    def polls_of(self, job_id: str) -> list[Hit]:
        return [h for h in self.log() if h.job_id == job_id]


def max_in_window(times: list[float], window: float = 60.0) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        best = max(best, end - start + 1)
    return best


class ObservedTransport(httpx.AsyncBaseTransport):
    """A real socket transport (or ``inner``) that also notes when each request left (client-side
    truth, free of the server's scheduling jitter) and how many were open at the same time."""

    def __init__(
        self, clock: Callable[[], float], inner: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()
        self._clock = clock
        self.sent: list[tuple[float, str]] = []  # (world time, job id)
        self.open = 0
        self.max_open = 0

    def sent_times(self, job_id: str) -> list[float]:
        return [at for at, j in self.sent if j == job_id]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((self._clock(), request.url.path.rsplit("/", 1)[-1].lower()))
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        try:
            response = await self._inner.handle_async_request(request)
            await response.aread()
            return response
        finally:
            self.open -= 1

    async def aclose(self) -> None:
        await self._inner.aclose()


@dataclass
class Harness:
    world: RecordingWorld
    server: SimServer | None  # None: in process (virtual_harness)
    time: FastTime | VirtualClocks
    http: httpx.AsyncClient
    transport: ObservedTransport
    client: StatusClient
    scheduler: PollScheduler
    events: list[JobEvent]
    statuses: list[ApiStatus]
    run_task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.run_task = asyncio.get_running_loop().create_task(self.scheduler.run())

    async def finish(self, limit: float = 20.0) -> None:
        """Wait (real seconds) until every job is terminal; fail if the run loop died."""
        assert self.run_task is not None
        waiter = asyncio.ensure_future(self.scheduler.wait_all_terminal())
        done, _ = await asyncio.wait(
            {waiter, self.run_task}, timeout=limit, return_when=asyncio.FIRST_COMPLETED
        )
        if self.run_task in done:
            waiter.cancel()
            self.run_task.result()
            raise AssertionError("run() returned before every job was terminal")
        if waiter not in done:
            waiter.cancel()
            raise AssertionError(f"not every job finished in {limit} s: {self.open_states()}")

    def open_states(self) -> dict[str, str]:
        return {
            j: str(self.scheduler.state_of(j))
            for j in self.scheduler.job_ids
            if not (s := self.scheduler.state_of(j)) or not s.terminal
        }

    async def sleep_world(self, seconds: float) -> None:
        """Sleep ``seconds`` of world time."""
        await asyncio.sleep(seconds / self.time.scale)

    async def until(self, predicate: Callable[[], bool], limit: float = 10.0) -> None:
        """Wait (real seconds) until ``predicate()`` holds."""
        deadline = time.monotonic() + limit
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached in time")
            if self.run_task is not None and self.run_task.done():
                self.run_task.result()
            await asyncio.sleep(0.005)

    def conditions(self) -> list[ApiCondition]:
        return [s.condition for s in self.statuses]

    def events_of(self, job_id: str) -> list[JobEvent]:
        return [e for e in self.events if e.job_id == job_id]


@contextlib.asynccontextmanager
async def harness(
    *,
    scale: float = 20.0,
    rate_limit: int | None = None,
    client_limit: int | None = None,
    max_concurrency: int = 8,
    key: str | None = KEY,
    **world_kwargs: Any,
) -> AsyncIterator[Harness]:
    """A running simulator on loopback, a client, and a scheduler on a shared fast clock."""
    fast = FastTime(scale)
    world = RecordingWorld(clock=fast.wall, rate_limit=rate_limit, **world_kwargs)
    world.add_key(KEY)
    server = SimServer(world)
    server.start()
    transport = ObservedTransport(fast.wall)
    http = httpx.AsyncClient(transport=transport, timeout=10.0)
    try:
        client = StatusClient(http, server.api_url, api_key=key, wall_clock=fast.wall)
        scheduler = PollScheduler(
            client,
            rate_limit=client_limit,
            max_concurrency=max_concurrency,
            clock=fast.mono,
            wall_clock=fast.wall,
            time_scale=scale,
        )
        events: list[JobEvent] = []
        statuses: list[ApiStatus] = []
        scheduler.add_listener(events.append)
        scheduler.add_api_listener(statuses.append)
        h = Harness(world, server, fast, http, transport, client, scheduler, events, statuses)
        try:
            yield h
        finally:
            scheduler.stop()
            if h.run_task is not None:
                await asyncio.wait_for(h.run_task, 5)
    finally:
        await http.aclose()
        await asyncio.get_running_loop().run_in_executor(None, server.stop)


@contextlib.asynccontextmanager
async def virtual_harness(
    *,
    rate_limit: int | None = None,
    client_limit: int | None = None,
    max_concurrency: int = 8,
    **world_kwargs: Any,
) -> AsyncIterator[Harness]:
    """``harness()`` in process on the running ``VirtualTimeLoop``: the real simulator app through
    ``httpx.ASGITransport``, the real client and scheduler, on the loop's exact clock."""
    clocks = VirtualClocks()
    world = RecordingWorld(clock=clocks.wall, rate_limit=rate_limit, **world_kwargs)
    world.add_key(KEY)
    transport = ObservedTransport(clocks.wall, httpx.ASGITransport(app=create_api_app(world)))
    async with httpx.AsyncClient(transport=transport, timeout=10.0) as http:
        client = StatusClient(http, "http://127.0.0.1:9", api_key=KEY, wall_clock=clocks.wall)
        scheduler = PollScheduler(
            client,
            rate_limit=client_limit,
            max_concurrency=max_concurrency,
            clock=clocks.mono,
            wall_clock=clocks.wall,
        )
        events: list[JobEvent] = []
        statuses: list[ApiStatus] = []
        scheduler.add_listener(events.append)
        scheduler.add_api_listener(statuses.append)
        h = Harness(world, None, clocks, http, transport, client, scheduler, events, statuses)
        try:
            yield h
        finally:
            scheduler.stop()
            if h.run_task is not None:
                await asyncio.wait_for(h.run_task, 5)
