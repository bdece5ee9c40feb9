"""Downloads against the simulator's file origin on real loopback sockets: bytes, resume,
names, cancel and shutdown. Links and keys: test_downloads_links.py; disks: _disk.py.
"""

# ruff: noqa: F811  (the fixtures come from test_downloads_helpers by import, not a conftest)
from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from test_downloads_helpers import (  # noqa: F401 - fixtures
    MIB,
    SIZE,
    HttpFor,
    clock,
    expected,
    folder,
    http_for,
    logged,
    manager_for,
    names,
    new_job,
    put,
    sim,
)

from jobmonitor.core.downloads import partfile
from jobmonitor.core.downloads.model import DownloadProgress, DownloadState
from jobmonitor.sim.server import SimServer


async def test_download_saves_identical_bytes_and_says_done_only_at_the_end(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=SIZE, file_name="report.bin")
    manager, rec = manager_for(sim, http_for, write_size=256 * 1024)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path == folder / "report.bin"
    assert final.path.read_bytes() == expected(sim.world, url)
    assert rec.states == [DownloadState.QUEUED, DownloadState.SAVING, DownloadState.DONE]
    assert names(folder) == ["report.bin"]  # no .part, no record
    assert any(0 < e.bytes_done < SIZE for e in rec.events)  # progress was reported on the way


async def test_a_file_larger_than_the_writeback_step_and_the_buffers(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    size = partfile.WRITEBACK_STEP + 5 * MIB + 3
    job_id, url = new_job(sim.world, file_size=size)
    sim.world.file_faults.cut_after = partfile.WRITEBACK_STEP + MIB  # resume after a writeback
    manager, _ = manager_for(sim, http_for, write_size=MIB)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)


async def test_cut_mid_transfer_resumes_with_range_and_if_range(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=SIZE)
    sim.world.file_faults.cut_after = MIB + 7
    manager, rec = manager_for(sim, http_for)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)
    messages = [e.message for e in rec.events]
    said = next(m for m in messages if "trying again in" in m)  # in sizes people read
    assert said.startswith("The connection ended after 1.0 MB of 3.1 MB")
    assert "Resuming…" in messages[messages.index(said) :]
    log = await logged(sim.world, 2)
    assert [r.status for r in log] == [200, 206]
    assert log[1].range == f"bytes={MIB + 7}-"
    assert log[1].if_range is not None and log[1].if_range.startswith('"')
    assert sim.world.stats.file_bytes == SIZE  # nothing was fetched twice


async def test_a_part_left_by_an_earlier_run_is_resumed(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=SIZE)
    sim.world.file_faults.cut_after = 2 * MIB
    first, _ = manager_for(sim, http_for, max_retries=0)
    failed = await first.start(job_id, url, folder).wait()
    assert failed.state is DownloadState.FAILED
    assert "kept" in failed.message
    parts = [name for name in names(folder) if name.endswith(".part")]
    assert len(parts) == 1 and partfile.part_size(folder, parts[0][: -len(".part")]) == 2 * MIB

    second, _ = manager_for(sim, http_for)  # a new manager: as after restarting the app
    final = await second.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)
    assert (await logged(sim.world, 2))[-1].range == f"bytes={2 * MIB}-"


@pytest.mark.parametrize("relative", [False, True], ids=["absolute", "relative"])
async def test_a_part_is_resumed_from_a_relative_folder_too(
    sim: SimServer,
    http_for: HttpFor,
    folder: Path,
    relative: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(folder.parent)
    where = Path(folder.name) if relative else folder  # as typed: jobmonitor download -o dl
    job_id, url = new_job(sim.world, file_size=SIZE)
    sim.world.file_faults.cut_after = MIB
    first, _ = manager_for(sim, http_for, max_retries=0)
    assert (await first.start(job_id, url, where).wait()).state is DownloadState.FAILED
    second, _ = manager_for(sim, http_for)
    final = await second.start(job_id, url, where).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path == folder / final.path.name and final.path.is_absolute()
    assert final.path.read_bytes() == expected(sim.world, url)
    assert (await logged(sim.world, 2))[-1].range == f"bytes={MIB}-"  # resumed, not restarted


async def test_downloads_of_the_same_name_at_once_each_get_their_own_file(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    jobs = [new_job(sim.world, file_size=2 * MIB + n, file_name="out.bin") for n in range(3)]
    manager, _ = manager_for(sim, http_for)
    started = [manager.start(job_id, url, folder) for job_id, url in jobs]
    finals = [await d.wait() for d in started]
    assert all(f.state is DownloadState.DONE for f in finals), [f.message for f in finals]
    paths = [f.path for f in finals]
    assert len({p for p in paths if p is not None}) == 3
    for (_, url), path in zip(jobs, paths, strict=True):
        assert path is not None and path.read_bytes() == expected(sim.world, url)
    assert names(folder) == ["out (1).bin", "out (2).bin", "out.bin"]


async def test_a_users_own_file_ending_in_part_is_left_alone(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    os.makedirs(folder)
    (folder / "out.bin.part").write_bytes(b"the user's own notes")
    job_id, url = new_job(sim.world, file_size=MIB, file_name="out.bin")
    manager, _ = manager_for(sim, http_for)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)
    assert (folder / "out.bin.part").read_bytes() == b"the user's own notes"


async def test_a_changed_file_makes_the_server_send_it_whole_and_we_start_over(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=SIZE)
    sim.world.file_faults.cut_after = MIB
    manager, _ = manager_for(sim, http_for, max_retries=0)
    assert (await manager.start(job_id, url, folder).wait()).state is DownloadState.FAILED
    sim.world.touch_file(job_id)  # new version: new ETag, other bytes
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert [r.status for r in await logged(sim.world, 2)] == [200, 200]  # If-Range failed
    data = final.path.read_bytes() if final.path else b""
    assert data == expected(sim.world, url)  # all of the new version, no spliced old bytes


@pytest.mark.parametrize("switch", ["no_etag", "no_ranges", "no_length"])
async def test_servers_without_etag_ranges_or_length(
    sim: SimServer, http_for: HttpFor, folder: Path, switch: str
) -> None:
    faults = sim.world.file_faults
    faults.etag = switch != "no_etag"
    faults.ranges = switch != "no_ranges"
    faults.content_length = switch != "no_length"
    job_id, url = new_job(sim.world, file_size=SIZE)
    if switch != "no_length":  # without a length a cut looks like the end: no resume to test
        faults.cut_after = MIB + 1
    manager, _ = manager_for(sim, http_for)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)
    log = await logged(sim.world, 1 if switch == "no_length" else 2)
    if switch == "no_etag":  # the Last-Modified date stands in for the ETag
        assert log[1].status == 206 and log[1].if_range and log[1].if_range.endswith("GMT")
    if switch == "no_ranges":
        assert [r.status for r in log] == [200, 200]


async def test_hostile_content_disposition_stays_in_the_folder(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(
        sim.world, file_size=1000, content_disposition='attachment; filename="../../x"'
    )
    manager, _ = manager_for(sim, http_for)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path == folder / "x"
    assert names(folder) == ["x"]
    assert not (folder.parent / "x").exists()  # nothing landed beside the folder
    assert not (folder.parent.parent / "x").exists()


async def test_an_existing_file_of_the_same_name_is_never_overwritten(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=1000, file_name="result.csv")
    put(folder / "result.csv", b"the user's own file")
    manager, _ = manager_for(sim, http_for)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path == folder / "result (1).csv"
    assert (folder / "result.csv").read_bytes() == b"the user's own file"
    again = await manager.start(job_id, url, folder).wait()  # downloading twice: a third name
    assert again.path == folder / "result (2).csv"


async def test_cancel_stops_and_removes_the_part(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=64 * MIB)
    manager, rec = manager_for(sim, http_for, write_size=256 * 1024)

    def cancel_once_saving(progress: DownloadProgress) -> None:
        if progress.bytes_done > MIB and progress.state is DownloadState.SAVING:
            manager.cancel(job_id)

    manager.add_listener(cancel_once_saving)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.CANCELLED
    assert names(folder) == []  # the .part and its record are gone
    assert DownloadState.DONE not in rec.states
    assert manager.cancel(job_id) is False  # nothing left to cancel


async def test_closing_the_manager_keeps_the_part_for_next_time(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=64 * MIB)
    manager, _ = manager_for(sim, http_for, write_size=256 * 1024)
    download = manager.start(job_id, url, folder)
    closing: list[asyncio.Task[None]] = []

    def close_once_saving(progress: DownloadProgress) -> None:
        if progress.bytes_done > MIB and not closing:
            closing.append(asyncio.get_running_loop().create_task(manager.aclose()))

    manager.add_listener(close_once_saving)
    final = await download.wait()
    assert final.state is DownloadState.CANCELLED and "next time" in final.message
    await closing[0]  # the app's shutdown finishes too
    meta = partfile.find_meta(folder, job_id)
    assert meta is not None and partfile.part_size(folder, meta.name) > MIB


async def test_a_complete_part_is_published_after_a_416(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=5000, file_name="done.bin")
    data = expected(sim.world, url)
    put(partfile.part_path(folder, "done.bin"), data)
    partfile.save_meta(folder, partfile.PartMeta(job_id, "done.bin", None, None, 5000))
    manager, _ = manager_for(sim, http_for)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert [r.status for r in await logged(sim.world, 1)] == [416]
    assert final.path == folder / "done.bin" and final.path.read_bytes() == data
