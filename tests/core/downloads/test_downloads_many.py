"""Many small downloads (Download all finished): one connection kept for all of them, a slot
freed before the fsync, and a small file cut short still resumed from its ``.part``."""

# ruff: noqa: F811  (the fixtures come from test_downloads_helpers by import, not a conftest)
from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_downloads_helpers import (  # noqa: F401 - fixtures
    HttpFor,
    clock,
    expected,
    folder,
    http_for,
    logged,
    manager_for,
    names,
    new_job,
    sim,
)

from jobmonitor.core.downloads import partfile
from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.sim.server import SimServer

SMALL = 100_000


@pytest.fixture
async def counted() -> AsyncIterator[tuple[HttpFor, list[Any]]]:
    """One client for every origin that records the connection each answer came on."""
    streams: list[Any] = []

    async def record(response: httpx.Response) -> None:
        streams.append(response.extensions.get("network_stream"))

    client = httpx.AsyncClient(timeout=10, event_hooks={"response": [record]})
    yield (lambda _url: client), streams
    await client.aclose()


async def test_small_files_one_after_another_share_one_connection(
    sim: SimServer, counted: tuple[HttpFor, list[Any]], folder: Path
) -> None:
    http_for, streams = counted
    jobs = [new_job(sim.world, file_size=SMALL + i, file_name=f"r{i}.bin") for i in range(5)]
    manager, _rec = manager_for(sim, http_for, max_parallel=1)
    finals = [await manager.start(job_id, url, folder).wait() for job_id, url in jobs]
    for final, (_job, url) in zip(finals, jobs, strict=True):
        assert final.state is DownloadState.DONE, final.message
        assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)
    assert len(streams) == 5 and all(s is streams[0] for s in streams), "a connection per file"
    assert names(folder) == [f"r{i}.bin" for i in range(5)]  # no .part, no record left


async def test_a_small_file_cut_short_resumes_from_its_part(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=3 * SMALL)
    sim.world.file_faults.cut_after = SMALL + 7
    manager, rec = manager_for(sim, http_for)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)
    assert any("trying again in" in e.message for e in rec.events)
    log = await logged(sim.world, 2)
    assert [r.status for r in log] == [200, 206]
    assert log[1].range == f"bytes={SMALL + 7}-"  # what arrived was kept in the .part
    assert sim.world.stats.file_bytes == 3 * SMALL  # nothing was fetched twice


class HeldSync:
    """A part-file opener whose fsync waits until ``release`` is set (bounded)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.syncing = 0

    def __call__(self, path: Path, *, create: bool, offset: int) -> partfile.PartFile:
        real = partfile.open_part_file(path, create=create, offset=offset)
        held = self

        class Held:
            def write(self, data: bytes | memoryview) -> None:
                real.write(data)

            def sync(self) -> None:
                held.syncing += 1
                held.release.wait(10)
                real.sync()

            def close(self) -> None:
                real.close()

        return Held()


async def test_the_next_download_connects_while_one_waits_for_its_fsync(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    """One slot: the second file is fetched while the first one's fsync is still held, so a
    slow disk does not hold the network up between files."""
    disk = HeldSync()
    jobs = [new_job(sim.world, file_size=SMALL, file_name=f"s{i}.bin") for i in range(2)]
    manager, _rec = manager_for(sim, http_for, max_parallel=1, open_part=disk)
    started = [manager.start(job_id, url, folder) for job_id, url in jobs]
    try:
        log = await logged(sim.world, 2)  # bounded: gives up after a while
        fetched_while_held = len(log) == 2 and not disk.release.is_set()
    finally:
        disk.release.set()
    finals = [await d.wait() for d in started]
    assert fetched_while_held, "the second file waited for the first one's fsync"
    assert all(f.state is DownloadState.DONE for f in finals), [f.message for f in finals]
    assert disk.syncing == 2


async def test_a_cancelled_small_download_leaves_nothing(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    sim.world.file_faults.latency = 30.0  # the answer never comes within the test
    job_id, url = new_job(sim.world, file_size=SMALL)
    manager, rec = manager_for(sim, http_for)
    download = manager.start(job_id, url, folder)
    await until(lambda: download.state is DownloadState.SAVING)
    assert manager.cancel(job_id)
    final = await download.wait()
    assert final.state is DownloadState.CANCELLED
    assert [n for n in names(folder) if n.endswith((".part", ".json"))] == []
    assert rec.states[-1] is DownloadState.CANCELLED


async def until(predicate: Callable[[], bool]) -> None:
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")
