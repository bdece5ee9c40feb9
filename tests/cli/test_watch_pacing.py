"""``jobmonitor watch --rate-limit``'s pacing, in process on virtual time: the command's own
``watch_jobs`` (its scheduler, its view) against the real simulator app through
``httpx.ASGITransport``, so the spacing asserted is exact whatever the machine's load (the
subprocess tests in test_watch_cli.py cover the option's parsing and exit codes)."""

from __future__ import annotations

import io
import itertools

import httpx
import pytest
import virtualtime
from schedhelpers import KEY, ObservedTransport, RecordingWorld

from jobmonitor.cli.watch_cmd import make_view, watch_jobs
from jobmonitor.core.http import HttpPool
from jobmonitor.sim.app import create_api_app

BASE = "http://127.0.0.1:9"


class InProcessPool(HttpPool):
    """The command's pool, every origin served by one in-process transport."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        super().__init__()
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def for_url(self, url: str) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, timeout=10.0)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


@pytest.mark.parametrize("per_minute", [60, 120])
def test_rate_limit_option_spreads_requests(
    per_minute: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def body() -> tuple[int, list[float]]:
        loop = virtualtime.loop()
        world = RecordingWorld(clock=loop.wall, seed=5)
        world.add_key(KEY)
        jobs = [
            world.add_job(KEY, queued_for=0.3, processing_for=20, retry_after=1) for _ in range(3)
        ]
        transport = ObservedTransport(loop.wall, httpx.ASGITransport(app=create_api_app(world)))
        monkeypatch.setattr("sys.stdout", io.StringIO())
        code = await watch_jobs(
            jobs, BASE, KEY, per_minute, make_view(False), pool=InProcessPool(transport)
        )
        return code, [at for at, _ in transport.sent]

    code, times = virtualtime.run(body())
    assert code == 0
    gaps = [b - a for a, b in itertools.pairwise(times)]
    spacing = 60 / per_minute
    # Three jobs asking every second would be 180 a minute: the option holds them to its pace,
    # evenly (never two requests closer than a slot), and the pace is used (no slower than a
    # slot and a small jitter guard).
    assert len(times) >= 20 / spacing * 0.9
    assert min(gaps) >= spacing - 1e-9
    assert (times[-1] - times[0]) / len(gaps) <= spacing * 1.01
