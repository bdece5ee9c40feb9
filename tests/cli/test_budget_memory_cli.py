"""``jobmonitor watch`` keeps what it learned of an API's request budget for the next run (a
day, per base URL), as the desktop app does; in process on virtual time against the real
simulator app, told nothing (a bare 429), with the tests' own settings folder."""

from __future__ import annotations

import io
import time

import httpx
import pytest
import virtualtime
from schedhelpers import KEY, ObservedTransport, RecordingWorld

from jobmonitor.cli.watch_cmd import make_view, watch_jobs
from jobmonitor.core.http import HttpPool
from jobmonitor.core.settings import BUDGET_MEMORY_AGE, BudgetMemory, Settings
from jobmonitor.sim.app import create_api_app

# Its own base URL: Qt keeps the first settings file it opened for the whole test process.
BASE = "http://127.0.0.1:19"
LIMIT = 30  # a minute, sliding: three jobs asking every second are far more


class InProcessPool(HttpPool):
    """The command's pool, every origin served by one in-process transport."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        super().__init__()
        self._client = httpx.AsyncClient(transport=transport, timeout=10.0)

    def for_url(self, url: str) -> httpx.AsyncClient:
        return self._client

    async def aclose(self) -> None:
        await self._client.aclose()


def one_run(monkeypatch: pytest.MonkeyPatch) -> tuple[int, int, list[float]]:
    """A fresh server (its window empty) and a fresh command: (exit code, 429s, send times)."""

    async def body() -> tuple[int, int, list[float]]:
        loop = virtualtime.loop()
        world = RecordingWorld(clock=loop.wall, seed=5, rate_limit=LIMIT)
        world.faults.retry_after_header = False  # told nothing
        world.add_key(KEY)
        jobs = [
            world.add_job(KEY, queued_for=1, processing_for=150, retry_after=1) for _ in range(3)
        ]
        transport = ObservedTransport(loop.wall, httpx.ASGITransport(app=create_api_app(world)))
        code = await watch_jobs(
            jobs, BASE, KEY, None, make_view(False), pool=InProcessPool(transport)
        )
        return code, world.stats.rate_limited, [at for at, _ in transport.sent]

    monkeypatch.setattr("sys.stdout", io.StringIO())
    return virtualtime.run(body())


def test_a_second_watch_starts_from_the_limit_the_first_one_learned(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    try:
        code, refused, _ = one_run(monkeypatch)
        assert code == 0 and refused >= 1  # the first run learned the limit from a 429
        saved = Settings().budget_memory(BASE, time.time(), BUDGET_MEMORY_AGE)
        assert saved.learned is not None and saved.learned <= LIMIT
        code, refused, times = one_run(monkeypatch)
        assert code == 0 and refused == 0  # the second paced at it from its first request
        first_minute = [t for t in times if t < times[0] + 60]
        assert len(first_minute) <= LIMIT
    finally:  # expired for any later test in this process
        Settings().set_budget_memory(BASE, BudgetMemory(), 0.0)
