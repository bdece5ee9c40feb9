"""check_key against the simulator: every answer the probe can get, and what it means for the key."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobmonitor.core.credentials.keycheck import PROBE_JOB_ID, KeyCheckOutcome, check_key
from jobmonitor.sim.app import create_api_app
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld

KEY = "live-Mq4Xw8Ct2Vn6Bz9Lk3Hs"
BASE = "http://127.0.0.1:8080"


@pytest.fixture
def world() -> SimWorld:
    world = SimWorld(seed=1)
    world.add_key(KEY)
    return world


@pytest.fixture
async def http(world: SimWorld) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_api_app(world))
    async with httpx.AsyncClient(transport=transport) as client:
        yield client


async def test_a_good_key_works_through_the_not_found_probe(
    http: httpx.AsyncClient, world: SimWorld
) -> None:
    check = await check_key(http, BASE, KEY)
    assert check.outcome is KeyCheckOutcome.WORKS
    assert check.works
    assert check.http_status == 404
    assert check.detail == "The API accepted the key."  # no API jargon for a good key
    assert world.stats.requests == 1


async def test_forbidden_and_found_probe_answers_also_mean_the_key_works(
    http: httpx.AsyncClient, world: SimWorld
) -> None:
    other = "live-someone-else-0000000"
    world.add_key(other)
    world.add_job(other, job_id=PROBE_JOB_ID)
    check = await check_key(http, BASE, KEY)
    assert (check.outcome, check.http_status) == (KeyCheckOutcome.WORKS, 403)
    check = await check_key(http, BASE, other)
    assert (check.outcome, check.http_status) == (KeyCheckOutcome.WORKS, 200)


async def test_an_unknown_key_is_rejected(http: httpx.AsyncClient) -> None:
    wrong = "live-Wrong5Key7Nobody9Has"
    check = await check_key(http, BASE, wrong)
    assert check.outcome is KeyCheckOutcome.REJECTED
    assert check.http_status == 401
    assert wrong not in check.detail
    assert (await check_key(http, BASE, "")).outcome is KeyCheckOutcome.REJECTED


async def test_rate_limited_says_the_key_is_probably_fine(
    http: httpx.AsyncClient, world: SimWorld
) -> None:
    world.rate_limit = 1
    assert (await check_key(http, BASE, KEY)).works
    check = await check_key(http, BASE, KEY)
    assert check.outcome is KeyCheckOutcome.RATE_LIMITED
    assert check.retry_after is not None and check.retry_after > 0
    assert "probably fine" in check.detail


@pytest.mark.parametrize(
    ("error_rate", "garbage_kinds", "fragment"),
    [(1.0, (), "500"), (0.0, ("html",), "502"), (0.0, ("truncated",), "")],
)
async def test_server_faults_are_unreachable_with_detail(
    http: httpx.AsyncClient,
    world: SimWorld,
    error_rate: float,
    garbage_kinds: tuple[str, ...],
    fragment: str,
) -> None:
    world.faults.error_rate = error_rate
    if garbage_kinds:
        world.faults.garbage_rate = 1.0
        world.faults.garbage_kinds = garbage_kinds
    check = await check_key(http, BASE, KEY)
    assert check.outcome is KeyCheckOutcome.UNREACHABLE
    assert check.detail.startswith("The API could not answer the check")
    assert check.detail.endswith("try again in a moment.")
    assert fragment in check.detail
    assert KEY not in check.detail


async def test_the_route_examples_use_is_found_and_reported(
    http: httpx.AsyncClient, world: SimWorld
) -> None:
    world.faults.routes = "status-api"
    learned: list[str] = []
    check = await check_key(http, BASE, KEY, on_route_learned=learned.append)
    assert check.works
    assert learned == ["/status-api/{job_id}"]
    # A saved route is used directly: one request.
    before = world.stats.requests
    assert (await check_key(http, BASE, KEY, route_template=learned[0])).works
    assert world.stats.requests == before + 1


async def test_a_base_url_without_the_api_is_unreachable(http: httpx.AsyncClient) -> None:
    check = await check_key(http, BASE + "/not-the-api", KEY)
    assert check.outcome is KeyCheckOutcome.UNREACHABLE
    assert "route" in check.detail


async def test_a_redirect_elsewhere_is_not_followed_with_the_key(
    http: httpx.AsyncClient, world: SimWorld
) -> None:
    world.faults.redirect_to = "http://127.0.0.2:9"
    check = await check_key(http, BASE, KEY)
    assert check.outcome is KeyCheckOutcome.UNREACHABLE
    assert "another origin" in check.detail


async def test_plain_http_to_a_remote_host_is_refused_before_sending(
    http: httpx.AsyncClient, world: SimWorld
) -> None:
    check = await check_key(http, "http://api.example.com", KEY)
    assert check.outcome is KeyCheckOutcome.BAD_URL
    assert "HTTPS" in check.detail
    assert world.stats.requests == 0


async def test_a_server_that_went_away_is_unreachable(world: SimWorld) -> None:
    server = SimServer(world).start()
    url = server.api_url
    async with httpx.AsyncClient(timeout=5) as http:
        assert (await check_key(http, url, KEY)).works
        server.stop()
        check = await check_key(http, url, KEY)
    assert check.outcome is KeyCheckOutcome.UNREACHABLE
    assert "connect" in check.detail


async def test_an_answer_that_says_nothing_about_the_key_is_unconfirmed() -> None:
    # A server that checks the id before the key would refuse the probe id itself (the simulator
    # checks the key first, as the real API does); a one-route Starlette app stands in for it.
    async def refuse(request: Request) -> JSONResponse:
        body = {"status": "error", "error": "INVALID_JOB_ID", "details": {"message": "no"}}
        return JSONResponse(body, status_code=400)

    app = Starlette(routes=[Route("/jobs/{job_id}", refuse)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app)) as http:
        check = await check_key(http, BASE, KEY)
    assert check.outcome is KeyCheckOutcome.UNCONFIRMED
    assert check.http_status == 400
    assert "says nothing about the key" in check.detail
