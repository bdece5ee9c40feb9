"""Fixtures for the API client tests (shared with tests/cli through helpers/apifixtures.py).

The status client's tests run twice: over httpx (the command line's client) and over the desktop
app's lean status client (``core/litehttp.py``), which must behave the same on the wire.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator

import httpx
import pytest
from apifixtures import clock, server, world
from apihelpers import KEY

from jobmonitor.api import StatusClient
from jobmonitor.api.client import StatusHttp
from jobmonitor.core.litehttp import LiteClient
from jobmonitor.sim import ManualClock, SimServer

__all__ = ["client", "clock", "http", "server", "status_http", "world"]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture(params=["httpcore", "lite"])
async def status_http(
    request: pytest.FixtureRequest, http: httpx.AsyncClient
) -> AsyncIterator[StatusHttp]:
    if request.param == "httpcore":
        yield http
        return
    lite = LiteClient(verify=ssl.create_default_context(), timeout=httpx.Timeout(5), headers={})
    yield lite
    await lite.aclose()


@pytest.fixture
def client(status_http: StatusHttp, server: SimServer, clock: ManualClock) -> StatusClient:
    return StatusClient(status_http, server.api_url, api_key=KEY, wall_clock=clock)
