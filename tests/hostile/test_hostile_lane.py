"""A hostile answer through the desktop app's poll lane (core/polling/lane.py) is only its job's
fault: the requests run on the lane's worker thread, the scheduler goes on for the others."""

from __future__ import annotations

import asyncio
import ssl
import threading

import httpx
from hostileserver import HEALTHY, JOB, KEY, HostileServer, answer, processing, sequence, success

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import BadResponse
from jobmonitor.core.litehttp import LiteClient
from jobmonitor.core.polling.lane import PollLane
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import JobEvent, JobState


def lite() -> LiteClient:
    return LiteClient(verify=ssl.create_default_context(), timeout=httpx.Timeout(5), headers={})


async def test_a_hostile_answer_through_the_lane_is_only_its_jobs_fault() -> None:
    async with HostileServer() as server, httpx.AsyncClient(timeout=5) as http:
        server.on(JOB, answer(None, text="<html>garbage</html>"))
        server.on(HEALTHY, sequence(answer(processing(HEALTHY)), answer(success(HEALTHY))))
        client = StatusClient(http, server.url, api_key=KEY)
        lane = PollLane(client, lite)
        scheduler = PollScheduler(client, rate_limit=6000, lane=lane)
        events: list[JobEvent] = []
        scheduler.add_listener(events.append)
        scheduler.watch_many([JOB, HEALTHY])
        task = asyncio.create_task(scheduler.run())
        try:
            async with asyncio.timeout(20):
                while scheduler.state_of(HEALTHY) is not JobState.SUCCESS:
                    assert not task.done()
                    await asyncio.sleep(0.01)
        finally:
            scheduler.stop()
            await task
            await lane.aclose()
    faults = [e.error for e in events if e.job_id == JOB]
    assert faults and all(isinstance(error, BadResponse) for error in faults)
    assert scheduler.state_of(JOB) is JobState.PENDING  # backed off, still watched
    assert not any(t.name == "poll-lane" for t in threading.enumerate())
