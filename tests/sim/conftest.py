"""Fixtures for simulator tests: a world on a manual clock, in-process clients and a socket server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from simhelpers import KEY, OTHER

from jobmonitor.sim import ManualClock, SimServer, SimWorld, create_api_app, create_files_app


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def world(clock: ManualClock) -> SimWorld:
    world = SimWorld(clock=clock, seed=3)
    world.add_key(KEY)
    world.add_key(OTHER)
    world.files_base_url = "http://files.test"
    return world


@pytest.fixture
async def api(world: SimWorld) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://api.test") as client:
        yield client


@pytest.fixture
async def files(world: SimWorld) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_files_app(world))
    async with httpx.AsyncClient(transport=transport, base_url="http://files.test") as client:
        yield client


@pytest.fixture
def server(world: SimWorld) -> Iterator[SimServer]:
    with SimServer(world) as running:
        yield running
