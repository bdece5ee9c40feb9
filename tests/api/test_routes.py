"""Route handling: /jobs by default, /status-api when /jobs does not exist, remembered."""

from __future__ import annotations

import httpx
import pytest
from apihelpers import KEY

from jobmonitor.api import (
    BadResponse,
    JobNotFound,
    JobStatus,
    RateLimited,
    ServerError,
    StatusClient,
)
from jobmonitor.api.client import DEFAULT_ROUTE, FALLBACK_ROUTE, StatusHttp
from jobmonitor.sim import SimServer, SimWorld

UNKNOWN = "00000000-0000-4000-8000-000000000000"


def _learning_client(
    status_http: StatusHttp, server: SimServer, learned: list[str]
) -> StatusClient:
    return StatusClient(status_http, server.api_url, api_key=KEY, on_route_learned=learned.append)


async def test_falls_back_to_status_api_and_remembers(
    status_http: StatusHttp, server: SimServer, world: SimWorld
) -> None:
    world.faults.routes = "status-api"
    learned: list[str] = []
    client = _learning_client(status_http, server, learned)
    job = world.add_job(KEY)
    assert client.route_template == DEFAULT_ROUTE
    assert (await client.get_job(job)).status is JobStatus.QUEUED
    assert client.route_template == FALLBACK_ROUTE and learned == [FALLBACK_ROUTE]
    assert world.stats.by_route == {"jobs": 1, "status-api": 1}
    for _ in range(3):
        await client.get_job(job)
    assert world.stats.by_route == {"jobs": 1, "status-api": 4}  # straight to the known route
    assert learned == [FALLBACK_ROUTE]


async def test_a_json_job_not_found_never_switches(
    status_http: StatusHttp, server: SimServer, world: SimWorld
) -> None:
    learned: list[str] = []
    client = _learning_client(status_http, server, learned)
    for routes in ("both", "jobs"):
        world.faults.routes = routes
        with pytest.raises(JobNotFound):
            await client.get_job(UNKNOWN)
    assert world.stats.by_route == {"jobs": 2}
    assert client.route_template == DEFAULT_ROUTE and learned == []


async def test_fallback_route_answering_an_api_error_is_remembered(
    status_http: StatusHttp, server: SimServer, world: SimWorld
) -> None:
    # A JSON answer from /status-api (here 404 JOB_NOT_FOUND, then 429) proves the route exists:
    # without remembering it every poll would cost two requests of the budget.
    world.faults.routes = "status-api"
    learned: list[str] = []
    client = _learning_client(status_http, server, learned)
    with pytest.raises(JobNotFound):
        await client.get_job(UNKNOWN)
    assert learned == [FALLBACK_ROUTE]
    world.rate_limit = 0
    with pytest.raises(RateLimited):
        await client.get_job(UNKNOWN)
    assert world.stats.by_route == {"jobs": 1, "status-api": 2}


async def test_a_proxy_error_on_the_fallback_is_not_proof_of_the_route(
    status_http: StatusHttp, server: SimServer, world: SimWorld
) -> None:
    world.faults.routes = "status-api"
    world.faults.garbage_rate = 1.0
    world.faults.garbage_kinds = ("html",)
    learned: list[str] = []
    client = _learning_client(status_http, server, learned)
    with pytest.raises(ServerError) as caught:
        await client.get_job(world.add_job(KEY))
    assert caught.value.code == "HTTP_502"
    assert learned == []


async def test_neither_route_exists(
    status_http: StatusHttp, server: SimServer, world: SimWorld
) -> None:
    client = StatusClient(status_http, server.api_url + "/v9", api_key=KEY)
    with pytest.raises(BadResponse) as caught:
        await client.get_job(world.add_job(KEY))
    exc = caught.value
    assert (exc.http_status, exc.code) == (404, "ROUTE_NOT_FOUND")
    assert "base URL" in exc.message


async def test_a_fixed_template_is_not_second_guessed(
    status_http: StatusHttp, server: SimServer, world: SimWorld
) -> None:
    world.faults.routes = "status-api"
    client = StatusClient(status_http, server.api_url, api_key=KEY, route_template="/jobs/{job_id}")
    with pytest.raises(BadResponse) as caught:
        await client.get_job(world.add_job(KEY))
    assert caught.value.code == "ROUTE_NOT_FOUND"
    assert world.stats.by_route == {"jobs": 1}
    other = StatusClient(
        status_http, server.api_url, api_key=KEY, route_template="status-api/{job_id}"
    )
    assert (await other.get_job(world.add_job(KEY))).status is JobStatus.QUEUED


def test_a_template_without_the_id_is_refused(http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="job_id"):
        StatusClient(http, "http://127.0.0.1:1", route_template="/jobs/")
