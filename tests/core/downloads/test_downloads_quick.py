"""The quick lane against the simulator over loopback: Download all's small files fetched on
worker threads over kept-alive connections, and every case it hands to the general path
(an expired link, a big file, a chunked one) still ending as the general path ends it."""

# ruff: noqa: F811  (the fixtures come from test_downloads_helpers by import, not a conftest)
from __future__ import annotations

import asyncio
import errno
import os
import shutil
import ssl
from pathlib import Path

import pytest
from test_downloads_helpers import (  # noqa: F401 - fixtures
    MIB,
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

from jobmonitor.core.downloads import groupsave
from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.core.downloads.partfile import OsPartFile, PartFile
from jobmonitor.core.downloads.quick import QuickSettings
from jobmonitor.sim.server import SimServer

SMALL = 100_000


def quick(**kwargs: float) -> QuickSettings:
    return QuickSettings(ssl.create_default_context, **kwargs)


def fallbacks(manager: DownloadManager) -> dict[str, int]:
    lane = manager.quick
    assert lane is not None, "the quick lane was never used"
    return {k: v for k, v in lane.stats.items() if k.startswith("fallback")}


async def test_small_files_go_the_quick_way_on_kept_connections_without_the_key(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    jobs = [new_job(sim.world, file_size=SMALL + i, file_name=f"r{i}.bin") for i in range(12)]
    manager, rec = manager_for(sim, http_for, max_parallel=3, quick=quick())
    started = [manager.start(job_id, url, folder) for job_id, url in jobs]
    finals = [await d.wait() for d in started]
    for final, (_job, url) in zip(finals, jobs, strict=True):
        assert final.state is DownloadState.DONE, final.message
        assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)
        assert final.bytes_done == final.total == final.path.stat().st_size
    assert names(folder) == sorted(f"r{i}.bin" for i in range(12))  # no .part, no record
    lane = manager.quick
    assert lane is not None and fallbacks(manager) == {}
    assert lane.stats["connections"] <= 3  # one per worker, kept for every file
    await logged(sim.world, 12)  # the server counts a request just after answering it
    stats = sim.world.stats
    assert stats.file_requests == 12 and stats.file_requests_with_key == 0  # another origin
    assert all(d.task is None for d in started)  # none went the general way
    assert sum(e.state is DownloadState.DONE for e in rec.events) == 12  # each checked on disk
    await manager.aclose()


async def test_a_quick_file_gets_its_name_only_after_its_sync_and_a_group_syncs_at_once(
    sim: SimServer, http_for: HttpFor, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at_sync: list[tuple[str, list[str]]] = []  # each file's sync: its name, the folder then

    class Part(OsPartFile):
        def __init__(self, fd: int, path: Path) -> None:
            super().__init__(fd)
            self.path = path

        def sync(self) -> None:
            at_sync.append((self.path.name.removesuffix(".part"), names(folder)))
            super().sync()

    def opener(path: Path, *, create: bool, offset: int) -> PartFile:
        return Part(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644), path)

    filesystem_syncs: list[int] = []
    monkeypatch.setattr(groupsave, "SYNCFS", filesystem_syncs.append)
    jobs = [new_job(sim.world, file_size=SMALL, file_name=f"r{i}.bin") for i in range(12)]
    manager, _rec = manager_for(sim, http_for, max_parallel=3, quick=quick(), open_part=opener)
    finals = [await manager.start(job_id, url, folder).wait() for job_id, url in jobs]
    assert all(f.state is DownloadState.DONE for f in finals), [f.message for f in finals]
    assert sorted(name for name, _ in at_sync) == sorted(f"r{i}.bin" for i in range(12))
    for name, present in at_sync:
        assert name not in present and f"{name}.part" in present
    lane = manager.quick
    assert lane is not None and fallbacks(manager) == {}
    assert filesystem_syncs and len(filesystem_syncs) == lane.saver.groups  # one per group
    await manager.aclose()


async def test_a_download_folder_removed_between_two_quick_files_is_made_again(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    """The lane looks at a folder once for many files (made, resolved, its resume records):
    a folder removed meanwhile is made again, not a disk error."""
    first_id, first_url = new_job(sim.world, file_size=SMALL, file_name="a.bin")
    manager, _rec = manager_for(sim, http_for, quick=quick())
    assert (await manager.start(first_id, first_url, folder).wait()).state is DownloadState.DONE
    shutil.rmtree(folder)
    job_id, url = new_job(sim.world, file_size=SMALL, file_name="b.bin")
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert names(folder) == ["b.bin"] and fallbacks(manager) == {}
    await manager.aclose()


async def test_a_file_on_the_api_origin_gets_the_key_on_the_quick_way(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=SMALL)
    manager, _rec = manager_for(sim, http_for, api_origin=sim.files_url, quick=quick())
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert fallbacks(manager) == {}
    await logged(sim.world, 1)
    assert sim.world.stats.file_requests_with_key == 1
    await manager.aclose()


async def test_an_expired_link_goes_the_general_way_and_is_fetched_again(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=SMALL)
    sim.world.expire_file_urls()  # the link in hand now answers 410
    manager, rec = manager_for(sim, http_for, quick=quick())
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None
    assert final.path.read_bytes() == expected(sim.world, sim.world.file_url(job_id))
    assert fallbacks(manager) == {"fallback: HTTP 410": 1}
    assert any("fresh one" in e.message for e in rec.events)  # the general path's refresh
    await manager.aclose()


async def test_a_big_file_and_a_chunked_one_go_the_general_way(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    big_id, big_url = new_job(sim.world, file_size=MIB + 1, file_name="big.bin")
    manager, _rec = manager_for(sim, http_for, quick=quick())
    big = await manager.start(big_id, big_url, folder).wait()
    sim.world.file_faults.content_length = False
    chunked_id, chunked_url = new_job(sim.world, file_size=SMALL, file_name="chunked.bin")
    chunked = await manager.start(chunked_id, chunked_url, folder).wait()
    for final, url in ((big, big_url), (chunked, chunked_url)):
        assert final.state is DownloadState.DONE, final.message
        assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)
    assert fallbacks(manager) == {
        "fallback: too big for the quick lane": 1,
        "fallback: a transfer coding": 1,
    }
    await manager.aclose()


class _FullDisk:
    def write(self, data: bytes | memoryview) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def sync(self) -> None: ...
    def close(self) -> None: ...


def _full_disk(path: Path, *, create: bool, offset: int) -> PartFile:
    path.touch()  # the .part is reserved; the write fails
    return _FullDisk()


async def test_a_full_disk_fails_the_quick_download_with_a_clear_message_once(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=SMALL, file_name="r.bin")
    manager, _rec = manager_for(sim, http_for, quick=quick(), open_part=_full_disk)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.FAILED
    assert final.message.startswith(f"The disk is full: not enough space in {folder}")
    assert "saved so far" not in final.message  # nothing of a small file is kept
    assert names(folder) == []  # the reserved .part is removed
    await logged(sim.world, 1)  # the server counts a request just after answering it
    assert sim.world.stats.file_requests == 1  # not fetched again the general way
    assert fallbacks(manager) == {}
    await manager.aclose()


async def test_a_quick_download_still_waiting_is_cancelled_at_once_and_never_fetched(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    sim.world.file_faults.latency = 0.3  # the one worker is busy with the first file meanwhile
    jobs = [new_job(sim.world, file_size=SMALL, file_name=f"r{i}.bin") for i in range(3)]
    manager, _rec = manager_for(sim, http_for, max_parallel=1, quick=quick())
    started = [manager.start(job_id, url, folder) for job_id, url in jobs]
    assert manager.cancel(jobs[2][0])
    assert started[2].state is DownloadState.CANCELLED  # at once: it never left the queue
    finals = [await d.wait() for d in started]
    assert [f.state for f in finals] == [DownloadState.DONE] * 2 + [DownloadState.CANCELLED]
    assert names(folder) == ["r0.bin", "r1.bin"]
    await logged(sim.world, 2)
    assert sim.world.stats.file_requests == 2
    assert not manager.cancel(jobs[2][0])  # nothing left to cancel
    await manager.aclose()


async def test_aclose_cancels_what_waits_in_the_quick_lane(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    sim.world.file_faults.latency = 0.3
    jobs = [new_job(sim.world, file_size=SMALL, file_name=f"r{i}.bin") for i in range(4)]
    manager, _rec = manager_for(sim, http_for, max_parallel=1, quick=quick())
    started = [manager.start(job_id, url, folder) for job_id, url in jobs]
    await asyncio.sleep(0)  # the worker takes the first one
    await manager.aclose()
    states = [d.state for d in started]
    assert all(s.terminal for s in states)
    assert states[1:] == [DownloadState.CANCELLED] * 3
    assert [n for n in names(folder) if n.endswith(".part")] == []
