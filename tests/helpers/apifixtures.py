"""Fixtures for the API client and CLI tests: the simulator on a real loopback socket, one httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from apihelpers import KEY

from jobmonitor.api import StatusClient
from jobmonitor.sim import ManualClock, SimServer, SimWorld


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def world(clock: ManualClock) -> SimWorld:
    world = SimWorld(clock=clock, seed=5)
    world.add_key(KEY)
    return world


@pytest.fixture
def server(world: SimWorld) -> Iterator[SimServer]:
    with SimServer(world) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture
def client(http: httpx.AsyncClient, server: SimServer, clock: ManualClock) -> StatusClient:
    return StatusClient(http, server.api_url, api_key=KEY, wall_clock=clock)
