"""Polling survives any single answer, and slow answers never take every slot (issue 12, 1-2).

The scheduler runs against the hostile server over a real socket: one job gets the odd answer,
a healthy job beside it must still finish, and the scheduler's run() must still be running.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from hostileserver import (
    HEALTHY,
    JOB,
    KEY,
    HostileServer,
    Reply,
    answer,
    processing,
    redirect,
    sequence,
    success,
    trickle,
)

from jobmonitor.api.client import StatusClient, StatusHttp
from jobmonitor.api.errors import ApiError, RateLimited, Unreachable
from jobmonitor.api.models import JobSnapshot
from jobmonitor.core.litehttp import LiteClient
from jobmonitor.core.polling.lane import PollLane
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import JobEvent, JobState

SCALE = 20.0  # clock seconds per real second: backoffs of seconds pass in tenths

HUGE = "9" * 400
HOSTILE: dict[str, Reply] = {
    "retry-after-400-digits": answer(
        None, text=json.dumps(processing(JOB)).replace('"retry_after": 1', f'"retry_after": {HUGE}')
    ),
    "429-body-400-digits": answer(None, status=429, text=f'{{"retry_after": {HUGE}}}'),
    "retry-after-year-3e9": answer(
        {"error": "RATE_LIMITED"},
        status=429,
        headers={"retry-after": "Mon, 01 Jan 3000000000 00:00:00 GMT"},
    ),
    "location-port-99999": redirect("http://127.0.0.1:99999/x"),
    "600-deep-array": answer(
        None, text=json.dumps(processing(JOB, message="x")).replace('"x"', "[" * 600 + "]" * 600)
    ),
    "timestamps-1e300": answer(processing(JOB, created_at=1e300, updated_at=1e18)),
}


def lite_client() -> LiteClient:
    return LiteClient(verify=ssl.create_default_context(), timeout=httpx.Timeout(30), headers={})


class FastClock:
    def __init__(self) -> None:
        self._real0 = time.monotonic()

    def __call__(self) -> float:
        return 1000.0 + (time.monotonic() - self._real0) * SCALE


@pytest.fixture(params=["httpcore", "lite"])
async def http(request: pytest.FixtureRequest) -> AsyncIterator[StatusHttp]:
    """httpx's own transport (the command line's) and the desktop app's (``litehttp``)."""
    if request.param == "lite":
        lite = LiteClient(
            verify=ssl.create_default_context(), timeout=httpx.Timeout(30), headers={}
        )
        yield lite
        await lite.aclose()
        return
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


async def run_until(scheduler: PollScheduler, done: Callable[[], bool], limit: float = 20) -> None:
    """Run the scheduler until ``done()``; its run() ending early (a crash) fails the test."""
    task = asyncio.create_task(scheduler.run())
    try:
        async with asyncio.timeout(limit):
            while not done():
                assert not task.done(), f"the scheduler stopped: {task.exception()!r}"
                await asyncio.sleep(0.01)
    finally:
        scheduler.stop()
        await task


@pytest.mark.parametrize("via_lane", [False, True], ids=["on-loop", "lane"])
@pytest.mark.parametrize("case", list(HOSTILE))
async def test_one_odd_answer_is_that_jobs_fault_and_the_others_go_on(
    server: HostileServer, http: StatusHttp, case: str, via_lane: bool
) -> None:
    if case.startswith(("429", "retry-after-year")):
        # A 429 pauses the whole API (as it must): once is enough to see that it is survived.
        server.on(JOB, sequence(HOSTILE[case], answer(processing(JOB))))
        server.on(HEALTHY, answer(success(HEALTHY)))
    else:
        server.on(JOB, HOSTILE[case])
        server.on(HEALTHY, sequence(answer(processing(HEALTHY)), answer(success(HEALTHY))))
    client = StatusClient(http, server.url, api_key=KEY)
    # Through the desktop app's poll lane too: the requests on its worker thread, over its
    # own lean client, the answers back in batches.
    lane = PollLane(client, lite_client) if via_lane else None
    scheduler = PollScheduler(
        client, clock=FastClock(), time_scale=SCALE, rate_limit=6000, lane=lane
    )
    events: list[JobEvent] = []
    scheduler.add_listener(events.append)
    scheduler.watch_many([JOB, HEALTHY])
    try:
        await run_until(
            scheduler,
            lambda: scheduler.state_of(HEALTHY) is JobState.SUCCESS and server.hits[JOB] >= 2,
            limit=40,
        )
    finally:
        if lane is not None:
            await lane.aclose()
    assert lane is None or lane.batches > 0
    # The odd job was asked again and again (backed off, not dropped), and never settled.
    assert scheduler.state_of(JOB) in (JobState.PENDING, JobState.PROCESSING)
    about_job = [e for e in events if e.job_id == JOB]
    assert about_job
    for event in about_job:
        assert event.error is None or isinstance(event.error, ApiError)
        if isinstance(event.error, RateLimited):  # an absurd hint is no hint, not an hour
            assert event.error.retry_after is None


class ExplodingClient(StatusClient):
    """A client with a bug for one job: what the scheduler does with an exception it never
    expected (the api boundary is meant to prevent it; the scheduler must survive it anyway)."""

    async def get_job(self, job_id: str, *, status_url: str | None = None) -> JobSnapshot:
        if job_id == JOB:
            raise RuntimeError("a bug")
        return await super().get_job(job_id)


async def test_an_unexpected_exception_from_one_poll_backs_that_job_off(
    server: HostileServer, http: StatusHttp, caplog: pytest.LogCaptureFixture
) -> None:
    server.on(HEALTHY, sequence(answer(processing(HEALTHY)), answer(success(HEALTHY))))
    client = ExplodingClient(http, server.url, api_key=KEY)
    scheduler = PollScheduler(client, clock=FastClock(), time_scale=SCALE, rate_limit=6000)
    events: list[JobEvent] = []
    scheduler.add_listener(events.append)
    scheduler.watch_many([JOB, HEALTHY])
    faults = lambda: [e for e in events if e.job_id == JOB and e.error is not None]  # noqa: E731
    await run_until(
        scheduler, lambda: scheduler.state_of(HEALTHY) is JobState.SUCCESS and len(faults()) >= 2
    )
    assert all("RuntimeError" in e.error.message for e in faults() if e.error is not None)
    assert "a bug" in caplog.text  # logged with its traceback, for a bug report


async def test_a_listener_that_raises_does_not_stop_polling(
    server: HostileServer, http: StatusHttp
) -> None:
    server.on(JOB, answer(processing(JOB)))
    server.on(HEALTHY, sequence(answer(processing(HEALTHY)), answer(success(HEALTHY))))
    client = StatusClient(http, server.url, api_key=KEY)
    scheduler = PollScheduler(client, clock=FastClock(), time_scale=SCALE, rate_limit=6000)

    def fragile(event: JobEvent) -> None:
        if event.job_id == JOB:
            raise ValueError("a window that cannot show this answer")

    scheduler.add_listener(fragile)
    scheduler.watch_many([JOB, HEALTHY])
    await run_until(
        scheduler,
        lambda: scheduler.state_of(HEALTHY) is JobState.SUCCESS and server.hits[JOB] >= 2,
    )


async def test_a_trickled_body_meets_the_total_deadline(
    server: HostileServer, http: StatusHttp
) -> None:
    body = json.dumps(processing(JOB)).encode()
    server.on(JOB, trickle(body, every=0.05))  # each byte restarts any read timeout
    client = StatusClient(http, server.url, api_key=KEY, deadline=0.5)
    with pytest.raises(Unreachable) as caught:
        await client.get_job(JOB)
    assert "0.5 s" in caught.value.message
    assert server.hits[JOB] == 1


async def test_slow_jobs_never_take_every_slot() -> None:
    slow_jobs = [f"dddddddd-0000-0000-0000-{n:012d}" for n in range(8)]
    async with HostileServer(connection_limit=40) as server, httpx.AsyncClient(timeout=30) as http:
        body = json.dumps(processing(JOB)).encode()
        for job in slow_jobs:
            server.on(job, trickle(body, every=0.5))  # about 90 s per answer
        answers = [answer(processing(HEALTHY)) for _ in range(3)] + [answer(success(HEALTHY))]
        server.on(HEALTHY, sequence(*answers))
        client = StatusClient(http, server.url, api_key=KEY, deadline=60)
        scheduler = PollScheduler(client, max_concurrency=4, rate_limit=6000, slow_after=0.3)
        scheduler.watch_many([*slow_jobs, HEALTHY])  # the slow ones are first in line
        # Healthy answers keep coming while every slow request is still out.
        await run_until(scheduler, lambda: scheduler.state_of(HEALTHY) is JobState.SUCCESS)
        assert server.hits[HEALTHY] == 4
        assert all(scheduler.state_of(job) is JobState.PENDING for job in slow_jobs)
