"""The next check of many jobs at once (a sort by Next check) is the next check of each."""

from __future__ import annotations

import httpx

from jobmonitor.api.client import StatusClient
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import JobState

IDS = [f"{n:08x}-e5f6-4890-abcd-ef1234567890" for n in range(5)]


def test_next_due_of_many_is_next_due_of_each() -> None:
    client = StatusClient(httpx.AsyncClient(), "http://127.0.0.1:9", api_key="k" * 16)
    scheduler = PollScheduler(client, clock=lambda: 100.0, wall_clock=lambda: 5_000.0)
    scheduler.watch_many(IDS[:3])
    scheduler.watch(IDS[3], state=JobState.SUCCESS)  # settled: no next check
    scheduler.check_now(IDS[3])  # ...until asked to check it now
    scheduler.watch(IDS[4], state=JobState.FAILED)
    asked = [*IDS, IDS[0].upper(), "not-watched"]
    many = scheduler.next_due_many(asked)
    assert many == [scheduler.next_due(j) for j in asked]
    assert many == [5_000.0] * 4 + [None, 5_000.0, None]
