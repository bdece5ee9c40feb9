"""The API app in process (ASGITransport): routes, auth, errors, rate-limit headers, faults."""

from __future__ import annotations

import email.utils
import json
import time

import httpx
import pytest
from simhelpers import KEY, OTHER

from jobmonitor.sim import ManualClock, SimWorld
from jobmonitor.sim.app import HTML_502, OVERSIZED_BYTES, UPSTREAM_TEXT
from jobmonitor.sim.jobs import error_body

H = {"x-api-key": KEY}


@pytest.mark.parametrize("route", ["jobs", "status-api"])
async def test_both_routes_answer(api: httpx.AsyncClient, world: SimWorld, route: str) -> None:
    job = world.add_job(KEY)
    r = await api.get(f"/{route}/{job}", headers=H)
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json()["status"] == "queued" and r.json()["job_id"] == job


@pytest.mark.parametrize(
    ("routes", "jobs_status", "status_api_status"),
    [("both", 200, 200), ("jobs", 200, 404), ("status-api", 404, 200)],
)
async def test_route_switch_answers_a_routers_404(
    api: httpx.AsyncClient, world: SimWorld, routes: str, jobs_status: int, status_api_status: int
) -> None:
    world.faults.routes = routes
    job = world.add_job(KEY)
    jobs = await api.get(f"/jobs/{job}", headers=H)
    status_api = await api.get(f"/status-api/{job}", headers=H)
    assert (jobs.status_code, status_api.status_code) == (jobs_status, status_api_status)
    for r in (jobs, status_api):
        if r.status_code == 404:
            assert r.text == "Not Found" and r.headers["content-type"].startswith("text/plain")


async def test_unknown_path_is_a_plain_404(api: httpx.AsyncClient) -> None:
    r = await api.get("/v2/jobs/x", headers=H)
    assert (r.status_code, r.text) == (404, "Not Found")


async def test_ids_are_case_insensitive(api: httpx.AsyncClient, world: SimWorld) -> None:
    job = world.add_job(KEY)
    r = await api.get(f"/jobs/{job.upper()}", headers=H)
    assert r.status_code == 200 and r.json()["job_id"] == job


@pytest.mark.parametrize(
    ("headers", "path_id", "status", "code"),
    [
        ({}, "JOB", 401, "UNAUTHORIZED"),
        ({"x-api-key": "wrong"}, "JOB", 401, "UNAUTHORIZED"),
        ({"x-api-key": OTHER}, "JOB", 403, "FORBIDDEN"),
        (H, "", 400, "INVALID_JOB_ID"),
        (H, "12.34", 400, "INVALID_JOB_ID"),  # ids are letters, digits, _ and - (PROVIDER.md)
        (H, "job-12345-abcde", 404, "JOB_NOT_FOUND"),
        (H, "{JOB}", 400, "INVALID_JOB_ID"),  # braces are the client's business
        (H, "00000000-0000-4000-8000-000000000000", 404, "JOB_NOT_FOUND"),
    ],
)
async def test_error_table(
    api: httpx.AsyncClient,
    world: SimWorld,
    headers: dict[str, str],
    path_id: str,
    status: int,
    code: str,
) -> None:
    job = world.add_job(KEY)
    r = await api.get(f"/jobs/{path_id.replace('JOB', job)}", headers=headers)
    assert r.status_code == status
    assert r.json() == error_body(status, r.json()["details"]["message"])
    assert r.json()["error"] == code
    if status in (401, 403, 404):
        assert r.json() == error_body(status)  # verbatim from the provider's page


async def test_missing_id_says_it_is_required(api: httpx.AsyncClient) -> None:
    r = await api.get("/status-api/", headers=H)
    assert r.status_code == 400 and r.json() == error_body(400)


async def test_deleted_job_is_not_found(api: httpx.AsyncClient, world: SimWorld) -> None:
    job = world.add_job(KEY)
    world.delete_job(job)
    r = await api.get(f"/jobs/{job}", headers=H)
    assert r.status_code == 404 and r.json()["error"] == "JOB_NOT_FOUND"


async def test_429_with_retry_after_seconds_and_rate_headers(
    api: httpx.AsyncClient, world: SimWorld, clock: ManualClock
) -> None:
    world.rate_limit = 2
    world.faults.rate_headers = True
    job = world.add_job(KEY)
    first = await api.get(f"/jobs/{job}", headers=H)
    assert first.headers["x-ratelimit-limit"] == "2"
    assert first.headers["x-ratelimit-remaining"] == "1"
    assert first.headers["x-ratelimit-reset"] == "60"
    clock.advance(15)
    await api.get(f"/jobs/{job}", headers=H)
    r = await api.get(f"/jobs/{job}", headers=H)
    assert r.status_code == 429 and r.json() == error_body(429)
    assert r.headers["retry-after"] == "45"
    assert r.headers["x-ratelimit-remaining"] == "0"
    assert world.stats.rate_limited == 1


async def test_429_variants(api: httpx.AsyncClient, world: SimWorld, clock: ManualClock) -> None:
    world.rate_limit = 1
    job = world.add_job(KEY)
    await api.get(f"/jobs/{job}", headers=H)
    world.faults.retry_after_header = False
    r = await api.get(f"/jobs/{job}", headers=H)
    assert r.status_code == 429 and "retry-after" not in r.headers
    assert "x-ratelimit-limit" not in r.headers  # rate_headers is off by default
    world.faults.retry_after_header = True
    world.faults.retry_after_format = "date"
    world.faults.retry_after_body = True
    r = await api.get(f"/jobs/{job}", headers=H)
    when = email.utils.parsedate_to_datetime(r.headers["retry-after"]).timestamp()
    assert when == pytest.approx(clock() + 60, abs=1)
    assert r.json()["retry_after"] == 60 and r.json()["error"] == "RATE_LIMITED"


@pytest.mark.parametrize(
    ("style", "expected"),
    [
        ("x-epoch", {"x-ratelimit-reset": str(1_700_000_060)}),
        ("ietf", {"ratelimit": '"default";r=4;t=60', "ratelimit-policy": '"default";q=5;w=60'}),
        (
            "ietf-draft",
            {"ratelimit": "limit=5, remaining=4, reset=60", "ratelimit-policy": "5;w=60"},
        ),
    ],
)
async def test_rate_header_styles(
    api: httpx.AsyncClient, world: SimWorld, style: str, expected: dict[str, str]
) -> None:
    world.rate_limit = 5
    world.faults.rate_headers = True
    world.faults.rate_header_style = style
    r = await api.get(f"/jobs/{world.add_job(KEY)}", headers=H)
    for name, value in expected.items():
        assert r.headers[name] == value


async def test_error_rate_gives_the_seed_500(api: httpx.AsyncClient, world: SimWorld) -> None:
    world.faults.error_rate = 1.0
    r = await api.get(f"/jobs/{world.add_job(KEY)}", headers=H)
    assert r.status_code == 500 and r.json() == error_body(500)
    assert world.stats.server_errors == 1


@pytest.mark.parametrize(
    "kind", ["html", "truncated", "text", "oversized", "oversized_chunked", "empty"]
)
async def test_garbage_kinds(api: httpx.AsyncClient, world: SimWorld, kind: str) -> None:
    world.faults.garbage_rate = 1.0
    world.faults.garbage_kinds = (kind,)
    job = world.add_job(KEY)
    r = await api.get(f"/jobs/{job}", headers=H)
    assert world.stats.garbage == 1
    if kind == "html":
        assert r.status_code == 502 and r.text == HTML_502
        assert r.headers["content-type"].startswith("text/html")
        return
    assert r.status_code == 200
    if kind == "text":
        assert r.text == UPSTREAM_TEXT
    elif kind == "empty":
        assert r.content == b""
    elif kind == "truncated":
        assert r.text.startswith('{"job_id": "' + job[:4])
        with pytest.raises(json.JSONDecodeError):
            json.loads(r.text)
    else:
        assert len(r.content) == OVERSIZED_BYTES
        assert ("content-length" in r.headers) == (kind == "oversized")
        assert json.loads(r.content)["status"] == "queued"  # valid JSON, just far too big


async def test_latency_delays_answers(api: httpx.AsyncClient, world: SimWorld) -> None:
    world.faults.latency = 0.2
    started = time.monotonic()
    r = await api.get(f"/jobs/{world.add_job(KEY)}", headers=H)
    assert r.status_code == 200 and time.monotonic() - started >= 0.2


async def test_redirect_fault(api: httpx.AsyncClient, world: SimWorld) -> None:
    world.faults.redirect_to = "http://127.0.0.2:9"
    job = world.add_job(KEY)
    r = await api.get(f"/jobs/{job}", headers=H)
    assert r.status_code == 307
    assert r.headers["location"] == f"http://127.0.0.2:9/moved/jobs/{job}"
    moved = await api.get(f"/moved/jobs/{job}", headers=H)
    assert moved.status_code == 200  # the target routes never redirect: no loops
    assert world.stats.by_status == {307: 1, 200: 1}


async def test_every_request_is_counted(api: httpx.AsyncClient, world: SimWorld) -> None:
    world.faults.routes = "status-api"
    await api.get("/jobs/x", headers=H)
    await api.get("/status-api/x")
    stats = world.stats
    assert stats.requests == 2
    assert stats.by_status == {404: 1, 401: 1}
