"""Downloads against the simulator's file origin on real loopback sockets.

The file origin is 127.0.0.2 and the API 127.0.0.1, so "another origin" is real here.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from jobmonitor.api.client import StatusClient, origin_of
from jobmonitor.core import partfile
from jobmonitor.core.download_types import DownloadProgress, DownloadState
from jobmonitor.core.downloads import DownloadManager
from jobmonitor.core.transfer import SOCKET_READ_SIZE, widen_socket_reads
from jobmonitor.sim.faults import FileRequestRecord, ManualClock
from jobmonitor.sim.files import content_slice
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld

KEY = "dl-test-key-0123456789"
MIB = 1024 * 1024
SIZE = 3 * MIB + 123  # not a multiple of any chunk size

HttpFor = Callable[[str], httpx.AsyncClient]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> Iterator[SimServer]:
    with SimServer(SimWorld(clock=clock)) as server:
        yield server


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """The download folder (not created: the manager makes it)."""
    return tmp_path / "downloads"


@pytest.fixture
async def http_for() -> AsyncIterator[HttpFor]:
    """One client per origin, as the composition root does; only loopback is ever a target."""
    clients: dict[str, httpx.AsyncClient] = {}

    def get(url: str) -> httpx.AsyncClient:
        host = urlsplit(url).hostname or ""
        assert host.startswith("127."), f"a test tried to reach {host}"
        origin = origin_of(url)
        if origin not in clients:
            clients[origin] = httpx.AsyncClient(timeout=10, follow_redirects=False)
        return clients[origin]

    yield get
    for client in clients.values():
        await client.aclose()


class Recorder:
    """Listener that also checks the promise: DONE only for a complete file on disk."""

    def __init__(self) -> None:
        self.events: list[DownloadProgress] = []

    def __call__(self, progress: DownloadProgress) -> None:
        self.events.append(progress)
        if progress.state is DownloadState.DONE:
            assert progress.path is not None and progress.path.is_file()
            assert progress.total is None or progress.path.stat().st_size == progress.total
            assert not Path(str(progress.path) + ".part").exists()
        elif progress.state is DownloadState.SAVING and progress.path is not None:
            assert not progress.path.exists(), "a file was visible under its final name early"

    @property
    def states(self) -> list[DownloadState]:
        out: list[DownloadState] = []
        for event in self.events:
            if not out or out[-1] is not event.state:
                out.append(event.state)
        return out


def manager_for(
    sim: SimServer, http_for: HttpFor, *, api_origin: str | None = None, **kwargs: object
) -> tuple[DownloadManager, Recorder]:
    world = sim.world

    async def refresh(job_id: str) -> str | None:
        return world.file_url(job_id)

    options: dict[str, object] = {"backoff": 0.01, "progress_interval": 0.0}
    options.update(kwargs)
    manager = DownloadManager(
        http_for,
        api_origin or sim.api_url,
        lambda: KEY,
        refresh,
        **options,  # type: ignore[arg-type]
    )
    recorder = Recorder()
    manager.add_listener(recorder)
    return manager, recorder


def expected(world: SimWorld, url: str) -> bytes:
    _, _, token, name = urlsplit(url).path.split("/", 3)
    spec = world.resolve_file(token, unquote(name)).file
    assert spec is not None
    return content_slice(spec)


async def logged(world: SimWorld, count: int) -> list[FileRequestRecord]:
    """The file origin's log once it holds ``count`` requests: the server records a request
    just after answering it, so the client may be done a moment before."""
    for _ in range(500):
        items = world.file_log.items()
        if len(items) >= count:
            return items
        await asyncio.sleep(0.01)
    return world.file_log.items()


def names(folder: Path) -> list[str]:
    return sorted(os.listdir(folder)) if folder.exists() else []


def put(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def new_job(world: SimWorld, **kwargs: object) -> tuple[str, str]:
    job_id = world.add_job(KEY, queued_for=0, processing_for=0, **kwargs)  # type: ignore[arg-type]
    return job_id, world.file_url(job_id)


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
    manager, _ = manager_for(sim, http_for)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == expected(sim.world, url)
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


async def test_the_key_goes_only_to_the_api_origin(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    job_id, url = new_job(sim.world, file_size=1000)
    manager, _ = manager_for(sim, http_for)  # the API is 127.0.0.1, the file on 127.0.0.2
    assert (await manager.start(job_id, url, folder).wait()).state is DownloadState.DONE
    await logged(sim.world, 1)
    assert sim.world.stats.file_requests_with_key == 0

    # A file URL on the API's own origin does get the key.
    same, _ = manager_for(sim, http_for, api_origin=sim.files_url)
    assert (await same.start(job_id, url, folder).wait()).state is DownloadState.DONE
    await logged(sim.world, 2)
    assert sim.world.stats.file_requests_with_key == 1


async def test_plain_http_to_a_non_loopback_host_is_refused_before_any_request(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    manager, _ = manager_for(sim, http_for)
    final = await manager.start("job", "http://downloads.example.com/r.csv", folder).wait()
    assert final.state is DownloadState.FAILED
    assert "HTTPS" in final.message
    assert names(folder.parent) == ["home"]  # no download folder was even made


async def test_an_expired_url_is_refreshed_through_the_api(
    sim: SimServer, http_for: HttpFor, folder: Path, clock: ManualClock
) -> None:
    world = sim.world
    world.file_faults.url_ttl = 60
    job_id, url = new_job(world, file_size=SIZE)
    clock.advance(120)  # the link the job gave us has expired
    client = StatusClient(http_for(sim.api_url), sim.api_url, api_key=KEY)

    async def refresh(jid: str) -> str | None:
        snapshot = await client.get_job(jid)  # the real way: fetch the job again
        return snapshot.result.file if snapshot.result else None

    manager = DownloadManager(http_for, sim.api_url, lambda: KEY, refresh, backoff=0.01)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    log = await logged(world, 2)
    assert [r.status for r in log] == [410, 200]
    assert log[0].path != log[1].path  # a fresh token
    assert final.path is not None and final.path.read_bytes() == expected(world, log[1].path)


@pytest.mark.parametrize("status", [403, 410])
async def test_a_link_still_refused_after_one_refresh_fails_plainly(
    sim: SimServer, http_for: HttpFor, folder: Path, clock: ManualClock, status: int
) -> None:
    world = sim.world
    world.file_faults.url_ttl = 60
    world.file_faults.expired_status = status
    job_id, url = new_job(world, file_size=1000)
    clock.advance(120)
    refreshes: list[str] = []

    async def stale(jid: str) -> str | None:
        refreshes.append(jid)
        return url  # the API keeps handing out the dead link

    manager = DownloadManager(http_for, sim.api_url, lambda: KEY, stale, backoff=0.01)
    final = await manager.start(job_id, url, folder).wait()
    assert final.state is DownloadState.FAILED
    assert refreshes == [job_id]  # one refresh, one retry, then stop
    assert f"HTTP {status}" in final.message and "expired" in final.message
    assert [r.status for r in await logged(world, 2)] == [status, status]


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


async def test_redirects_keep_the_key_on_the_api_origin_only(
    sim: SimServer, http_for: HttpFor, folder: Path
) -> None:
    world = sim.world
    job_id, url = new_job(world, file_size=1000)
    via = url.replace("/files/", "/redirect/")
    # Same origin: the API's own link redirects within the API's origin, key on both hops.
    same, _ = manager_for(sim, http_for, api_origin=sim.files_url)
    assert (await same.start(job_id, via, folder).wait()).state is DownloadState.DONE
    log = await logged(world, 2)
    assert [(r.status, r.had_key) for r in log] == [(307, True), (200, True)]

    # Another origin: a second server on the same world is where the redirect now points.
    world.file_log.clear()
    with SimServer(world) as other:
        assert world.files_base_url == other.files_url != sim.files_url
        final = await same.start(job_id, via, folder).wait()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == expected(world, url)
    log = await logged(world, 2)
    assert [(r.status, r.had_key) for r in log] == [(307, True), (200, False)]


async def test_plain_connections_get_wide_socket_reads(sim: SimServer, http_for: HttpFor) -> None:
    """The throughput tweak reaches the socket with the installed httpcore/anyio/asyncio (if an
    upgrade moves their internals, downloads still work, only slower: this test says so)."""
    _, url = new_job(sim.world, file_size=1000)
    async with http_for(url).stream("GET", url) as response:
        widen_socket_reads(response)
        stream = response.extensions["network_stream"]._stream
        assert stream._transport.max_size == SOCKET_READ_SIZE
        await response.aread()
