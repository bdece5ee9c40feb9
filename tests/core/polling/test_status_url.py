"""A submitted job is polled at its accepted answer's ``status_url`` when that is on the API's
origin (PROVIDER.md), and by the route template otherwise: the key never goes elsewhere."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from apihelpers import KEY

from jobmonitor.api import StatusClient
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import JobState
from jobmonitor.sim import SimServer, SimWorld


@pytest.fixture
def server() -> Iterator[SimServer]:
    world = SimWorld(seed=3)
    world.add_key(KEY)
    with SimServer(world) as running:
        yield running


async def watch_one(server: SimServer, status_url: str | None) -> JobState | None:
    job = server.world.add_job(KEY, queued_for=0, processing_for=0)
    async with httpx.AsyncClient(timeout=5) as http:
        # a route template of its own, so which URL was asked shows in the simulator's counts
        client = StatusClient(
            http, server.api_url, api_key=KEY, route_template="/status-api/{job_id}"
        )
        scheduler = PollScheduler(client)
        scheduler.watch(job, status_url=status_url and status_url.format(job=job))
        task = asyncio.create_task(scheduler.run())
        try:
            async with asyncio.timeout(20):
                await scheduler.wait_all_terminal()
        finally:
            scheduler.stop()
            await task
        return scheduler.state_of(job)


async def test_the_status_url_on_the_api_origin_is_polled(server: SimServer) -> None:
    state = await watch_one(server, server.api_url + "/jobs/{job}")
    assert state is JobState.SUCCESS
    assert server.world.stats.by_route == {"jobs": 1}  # not the route template's


async def test_a_status_url_on_another_origin_is_not_asked_with_the_key(
    server: SimServer,
) -> None:
    elsewhere = server.files_url + "/jobs/{job}"  # another origin (127.0.0.2)
    state = await watch_one(server, elsewhere)
    assert state is JobState.SUCCESS
    assert server.world.stats.by_route == {"status-api": 1}  # the route template instead
    assert server.world.stats.file_requests == 0  # nothing sent there, key or not
