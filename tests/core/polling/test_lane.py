"""The poll lane (core/polling/lane.py): status requests on a worker thread with its own loop,
answers handed to the scheduler's loop in batches; the scheduler's rules hold over it.

Real parts: the simulator or the hostile server on a loopback socket, the real scheduler.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from apihelpers import KEY

from jobmonitor.api.client import StatusClient
from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.http import HttpPool
from jobmonitor.core.litehttp import LiteClient, LiteRequest, LiteResponse
from jobmonitor.core.polling.lane import PollLane, Ticket
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.polling.session import PollingSession
from jobmonitor.core.state import JobEvent, JobState
from jobmonitor.sim import SimServer, SimWorld

HOME = threading.get_ident()


class RecordingClient(LiteClient):
    """A lite client that notes the thread each request ran in."""

    threads: set[int]

    async def send(
        self, request: LiteRequest, *, stream: bool = True, follow_redirects: bool = False
    ) -> LiteResponse:
        self.threads.add(threading.get_ident())
        return await super().send(request, stream=stream, follow_redirects=follow_redirects)


def maker(threads: set[int]) -> Callable[[], LiteClient]:
    def make() -> LiteClient:
        client = RecordingClient(
            verify=ssl.create_default_context(), timeout=httpx.Timeout(5), headers={}
        )
        client.threads = threads
        return client

    return make


@pytest.fixture
def world() -> SimWorld:
    world = SimWorld(rate_limit=None)
    world.add_key(KEY)
    return world


@pytest.fixture
def sim(world: SimWorld) -> Iterator[SimServer]:
    with SimServer(world) as running:
        yield running


@pytest.fixture
async def lane_parts(
    sim: SimServer,
) -> AsyncIterator[tuple[FillingLane, set[int], StatusClient]]:
    threads: set[int] = set()
    async with httpx.AsyncClient(timeout=5) as http:
        client = StatusClient(http, sim.api_url, api_key=KEY)
        lane = FillingLane(client, maker(threads))
        yield lane, threads, client
        await lane.aclose()


class FillingLane(PollLane):
    """A lane that says (to another thread) when ``expect`` outcomes wait in its outbox."""

    expect = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.filled = threading.Event()

    def _wake(self) -> None:
        if len(self._outbox) >= self.expect:
            self.filled.set()
        super()._wake()


async def _run_to_the_end(scheduler: PollScheduler) -> None:
    """Run ``scheduler`` until every job is settled (bounded), then stop it."""
    task = asyncio.create_task(scheduler.run())
    try:
        async with asyncio.timeout(20):
            await scheduler.wait_all_terminal()
    finally:
        scheduler.stop()
        await task


async def test_answers_arrive_in_one_batch_and_never_on_the_home_thread(
    lane_parts: tuple[FillingLane, set[int], StatusClient], world: SimWorld
) -> None:
    lane, threads, _client = lane_parts
    batches: list[list[Ticket]] = []
    lane.start(batches.append)
    tickets = [Ticket(world.add_job(KEY), None) for _ in range(12)]
    lane.expect = len(tickets)
    for ticket in tickets:
        lane.submit(ticket)
    # This loop is held while every answer comes in: they wait in the outbox together.
    assert lane.filled.wait(20), "the worker did not answer"
    async with asyncio.timeout(10):
        while not batches:
            assert lane.running
            await asyncio.sleep(0.005)
    assert len(batches) == 1 and set(batches[0]) == set(tickets)
    assert all(isinstance(t.outcome, JobSnapshot) for t in tickets)
    assert all(t.answered_at > 0 for t in tickets)
    assert threads and HOME not in threads  # the requests ran on the worker only


async def test_closing_the_lane_joins_its_thread(
    lane_parts: tuple[FillingLane, set[int], StatusClient], world: SimWorld
) -> None:
    lane, _threads, _client = lane_parts
    lane.start(lambda batch: None)
    assert any(t.name == "poll-lane" for t in threading.enumerate())
    world.faults.latency = 30.0  # a request still out at quit is cancelled, not waited for
    lane.submit(Ticket(world.add_job(KEY), None))
    await lane.aclose()
    assert not lane.running
    assert not any(t.name == "poll-lane" for t in threading.enumerate())


async def test_the_scheduler_polls_through_the_lane_to_the_end(
    lane_parts: tuple[FillingLane, set[int], StatusClient], world: SimWorld
) -> None:
    lane, threads, client = lane_parts
    jobs = [
        world.add_job(KEY, queued_for=0.0, processing_for=0.2, retry_after=0.1) for _ in range(5)
    ]
    scheduler = PollScheduler(client, rate_limit=6000, lane=lane)
    events: list[JobEvent] = []
    scheduler.add_listener(events.append)
    scheduler.watch_many(jobs)
    await _run_to_the_end(scheduler)
    assert all(scheduler.state_of(job) is JobState.SUCCESS for job in jobs)
    assert HOME not in threads and lane.batches >= 1
    assert all(e.snapshot is not None for e in events)


async def test_a_stop_with_requests_out_puts_their_jobs_back(
    lane_parts: tuple[FillingLane, set[int], StatusClient], world: SimWorld
) -> None:
    lane, _threads, client = lane_parts
    world.faults.latency = 30.0
    job = world.add_job(KEY)
    scheduler = PollScheduler(client, rate_limit=6000, lane=lane)
    scheduler.watch(job)
    task = asyncio.create_task(scheduler.run())
    async with asyncio.timeout(10):
        while not len(scheduler._in_flight):
            assert not task.done()
            await asyncio.sleep(0.01)
    scheduler.stop()
    await task
    entry = scheduler._queue.get(job)
    assert entry is not None and not entry.in_flight
    assert scheduler._queue.peek() is entry  # first in line again, not lost


async def test_a_session_learns_the_route_on_the_worker_and_tells_it_at_home(
    world: SimWorld, sim: SimServer
) -> None:
    world.faults.routes = "status-api"
    told: list[tuple[str, int]] = []
    async with HttpPool() as pool:
        session = PollingSession(
            pool,
            sim.api_url,
            api_key=KEY,
            on_route_learned=lambda route: told.append((route, threading.get_ident())),
        )
        assert session.lane is not None
        session.scheduler.watch(world.add_job(KEY))
        session.start()
        try:
            async with asyncio.timeout(20):
                while not told:
                    assert session.running
                    await asyncio.sleep(0.01)
        finally:
            await session.aclose()
    assert told == [("/status-api/{job_id}", HOME)]
    assert not session.lane.running
    assert not any(t.name == "poll-lane" for t in threading.enumerate())


async def test_with_a_proxy_configured_polls_go_through_httpx_on_this_loop(
    monkeypatch: pytest.MonkeyPatch, sim: SimServer
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # httpx honours it; our socket not
    async with HttpPool() as pool:
        session = PollingSession(pool, sim.api_url, api_key=KEY)
        assert session.lane is None
        assert isinstance(session.client._http, httpx.AsyncClient)
        await session.aclose()
    monkeypatch.delenv("HTTPS_PROXY")
    async with HttpPool() as pool:
        session = PollingSession(pool, sim.api_url, api_key=KEY)
        assert session.lane is not None and isinstance(session.client._http, LiteClient)
        await session.aclose()


async def test_a_lane_that_cannot_start_leaves_the_polls_to_the_schedulers_loop(
    sim: SimServer, world: SimWorld, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> LiteClient:
        raise RuntimeError("no client today")

    async with httpx.AsyncClient(timeout=5) as http:
        client = StatusClient(http, sim.api_url, api_key=KEY)
        lane = PollLane(client, broken)
        job = world.add_job(KEY, queued_for=0.0, processing_for=0.0)
        scheduler = PollScheduler(client, rate_limit=6000, lane=lane)
        scheduler.watch(job)
        try:
            await _run_to_the_end(scheduler)
        finally:
            await lane.aclose()
    assert scheduler.state_of(job) is JobState.SUCCESS and lane.batches == 0
    assert "could not start" in caplog.text
