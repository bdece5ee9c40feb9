"""Every row of CONTRACT.md's two tables, through StatusClient against the simulator's socket."""

from __future__ import annotations

import json
import traceback

import httpx
import pytest
from apihelpers import KEY, WRONG_KEY

from jobmonitor.api import (
    AuthError,
    ForbiddenError,
    InvalidJobId,
    JobNotFound,
    JobStatus,
    RateLimited,
    ServerError,
    StatusClient,
)
from jobmonitor.sim import ManualClock, SimServer, SimWorld
from jobmonitor.sim.jobs import error_body

# -- 200 answers -------------------------------------------------------------------------------


async def test_queued(client: StatusClient, world: SimWorld, clock: ManualClock) -> None:
    job = world.add_job(KEY, queued_for=10, retry_after=3)
    snap = await client.get_job(job)
    assert snap.status is JobStatus.QUEUED and not snap.terminal
    assert (snap.job_id, snap.raw_status) == (job, "queued")
    assert snap.created_at == snap.updated_at == int(clock())
    assert snap.message == "Your job is queued."
    assert snap.retry_after == 3 and snap.poll_interval == 3
    assert snap.result is None and snap.error is None
    assert snap.raw_dict() == world.handle("jobs", KEY, job).body


async def test_processing(client: StatusClient, world: SimWorld, clock: ManualClock) -> None:
    job = world.add_job(KEY, queued_for=3, processing_for=10, retry_after=1.5)
    start = clock()
    clock.advance(4)
    snap = await client.get_job(job)
    assert snap.status is JobStatus.PROCESSING and not snap.terminal
    assert (snap.created_at, snap.updated_at) == (int(start), int(start + 3))
    assert snap.poll_interval == 1.5 and snap.message


async def test_success(client: StatusClient, world: SimWorld, server: SimServer) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=0, extra_result={"rows": 2})
    snap = await client.get_job(job)
    assert snap.status is JobStatus.SUCCESS and snap.terminal
    result = snap.result
    assert result is not None and result.status == "success"
    assert result.file is not None and result.file.startswith(server.files_url + "/files/")
    assert result.preview is not None and json.loads(result.preview)["name"] == "John"
    assert result.request_id and len(result.request_id) == 36
    assert dict(result.extra) == {"rows": 2}  # unknown fields are kept, to be shown
    assert snap.error is None


async def test_failed_with_line_column_and_other_details(
    client: StatusClient, world: SimWorld
) -> None:
    job = world.add_job(
        KEY,
        queued_for=0,
        processing_for=0,
        outcome="failed",
        error_details={"line": 12, "column": 4, "path": "$.items[3]"},
    )
    snap = await client.get_job(job)
    assert snap.status is JobStatus.FAILED and snap.terminal
    err = snap.error
    assert err is not None
    assert (err.code, err.message, err.line, err.column) == (
        "INVALID_JSON",
        "JSON validation failed.",
        12,
        4,
    )
    assert dict(err.extra_details) == {"path": "$.items[3]"}


async def test_failed_without_position(client: StatusClient, world: SimWorld) -> None:
    job = world.add_job(
        KEY, queued_for=0, processing_for=0, outcome="failed", error_details={"limit_mb": 50}
    )
    err = (await client.get_job(job)).error
    assert err is not None and err.line is None and err.column is None
    assert dict(err.extra_details) == {"limit_mb": 50}


async def test_unknown_status_is_kept_and_not_terminal(
    client: StatusClient, world: SimWorld
) -> None:
    job = world.add_job(KEY, queued_for=0, processing_for=60, unknown_status="On_Hold")
    snap = await client.get_job(job)
    assert snap.status is JobStatus.UNKNOWN and snap.raw_status == "On_Hold"
    assert not snap.terminal and 1 <= snap.poll_interval <= 600


@pytest.mark.parametrize(
    ("hint", "interval"),
    [(None, 5.0), (0, 5.0), (-3, 5.0), (0.01, 1.0), (2.5, 2.5), (10**9, 600.0)],
)
async def test_retry_after_gets_sane_bounds(
    client: StatusClient, world: SimWorld, hint: float | None, interval: float
) -> None:
    snap = await client.get_job(world.add_job(KEY, retry_after=hint))
    assert snap.retry_after == hint
    assert snap.poll_interval == interval


# -- error answers ----------------------------------------------------------------------------


async def test_400_from_the_server(
    http: httpx.AsyncClient, server: SimServer, world: SimWorld
) -> None:
    # The client never sends a malformed id; a template that mangles it makes the server judge.
    mangling = StatusClient(http, server.api_url, api_key=KEY, route_template="/jobs/{job_id}.0")
    with pytest.raises(InvalidJobId) as caught:
        await mangling.get_job(world.add_job(KEY))
    exc = caught.value
    assert (exc.http_status, exc.code, exc.terminal_for_job, exc.transient) == (
        400,
        "INVALID_JOB_ID",
        True,
        False,
    )
    assert exc.body == error_body(400, "Invalid job_id format")


@pytest.mark.parametrize("key", [WRONG_KEY, None])
async def test_401_wrong_or_missing_key(
    http: httpx.AsyncClient, server: SimServer, world: SimWorld, key: str | None
) -> None:
    job = world.add_job(KEY)
    client = StatusClient(http, server.api_url, api_key=key)
    with pytest.raises(AuthError) as caught:
        await client.get_job(job)
    exc = caught.value
    assert (exc.http_status, exc.code) == (401, "UNAUTHORIZED")
    assert exc.body == error_body(401) and exc.error_body() == error_body(401)
    assert not exc.terminal_for_job and not exc.transient  # the whole API pauses
    shown = " ".join(
        [str(exc), repr(exc), json.dumps(exc.error_body()), *traceback.format_exception(exc)]
    )
    assert WRONG_KEY not in shown and KEY not in shown
    assert "x-api-key" not in http.headers  # never a default header


async def test_403_another_users_job(client: StatusClient, world: SimWorld) -> None:
    job = world.add_job("someone-else")
    with pytest.raises(ForbiddenError) as caught:
        await client.get_job(job)
    assert caught.value.http_status == 403 and caught.value.terminal_for_job
    assert caught.value.body == error_body(403)


async def test_404_unknown_and_deleted(client: StatusClient, world: SimWorld) -> None:
    with pytest.raises(JobNotFound) as caught:
        await client.get_job("a1b2c3d4-e5f6-7890-abcd-ef1234567890")
    assert caught.value.body == error_body(404) and caught.value.terminal_for_job
    job = world.add_job(KEY)
    await client.get_job(job)
    world.delete_job(job)
    with pytest.raises(JobNotFound):
        await client.get_job(job)


async def test_429_rate_limited(client: StatusClient, world: SimWorld) -> None:
    world.rate_limit = 1
    job = world.add_job(KEY)
    await client.get_job(job)
    with pytest.raises(RateLimited) as caught:
        await client.get_job(job)
    exc = caught.value
    assert (exc.http_status, exc.code, exc.transient) == (429, "RATE_LIMITED", True)
    assert exc.body == error_body(429)
    assert exc.retry_after == 60


async def test_500_internal_error(client: StatusClient, world: SimWorld) -> None:
    world.faults.error_rate = 1.0
    with pytest.raises(ServerError) as caught:
        await client.get_job(world.add_job(KEY))
    exc = caught.value
    assert (exc.http_status, exc.code, exc.transient) == (500, "INTERNAL_ERROR", True)
    assert exc.body == error_body(500) and "Failed to process job" in str(exc)
