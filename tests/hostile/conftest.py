"""Fixtures of the hostile-server tests: the server in the test's loop, a client aimed at it, and
the hypothesis profiles (a short derandomised run here; tests/benchmarks/fuzz_long.py runs long)."""

from __future__ import annotations

import os
import ssl
from collections.abc import AsyncIterator

import httpx
import pytest
from hostileserver import KEY, HostileServer
from hypothesis import HealthCheck, settings

from jobmonitor.api.client import StatusClient
from jobmonitor.core.litehttp import LiteClient

# CI: the same examples every run (derandomize), no example database written into the tree, and
# no per-example deadline (the machine is shared: a slow example is not a finding).
settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("long", database=None, deadline=None, max_examples=20_000)
settings.load_profile(os.environ.get("JOBMONITOR_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
async def server() -> AsyncIterator[HostileServer]:
    async with HostileServer() as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=5) as client:
        yield client


@pytest.fixture(params=["httpcore", "lite"])
async def client(
    request: pytest.FixtureRequest, http: httpx.AsyncClient, server: HostileServer
) -> AsyncIterator[StatusClient]:
    """Every hostile answer twice: through httpx (the command line's client) and the desktop
    app's status client (``core/litehttp.py``), which must read each the same."""
    if request.param == "httpcore":
        yield StatusClient(http, server.url, api_key=KEY)
        return
    lite = LiteClient(verify=ssl.create_default_context(), timeout=httpx.Timeout(5), headers={})
    yield StatusClient(lite, server.url, api_key=KEY)
    await lite.aclose()
