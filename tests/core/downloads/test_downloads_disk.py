"""Downloads meeting a full disk, an unwritable folder and a slow disk (the loop must not stall)."""

from __future__ import annotations

import asyncio
import errno
import os
import subprocess
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from jobmonitor.core.downloads import partfile
from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.sim.files import content_slice
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld

KEY = "dl-disk-key-0123456789"
MIB = 1024 * 1024

HttpFor = Callable[[str], httpx.AsyncClient]


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(SimWorld()) as server:
        yield server


@pytest.fixture
async def http_for() -> AsyncIterator[HttpFor]:
    clients: dict[str, httpx.AsyncClient] = {}

    def get(url: str) -> httpx.AsyncClient:
        assert (urlsplit(url).hostname or "").startswith("127.")
        return clients.setdefault(url.split("/files/")[0], httpx.AsyncClient(timeout=10))

    yield get
    for client in clients.values():
        await client.aclose()


def manager(sim: SimServer, http_for: HttpFor, **kwargs: object) -> DownloadManager:
    async def refresh(job_id: str) -> str | None:
        return sim.world.file_url(job_id)

    return DownloadManager(
        http_for,
        sim.api_url,
        lambda: KEY,
        refresh,
        backoff=0.01,
        **kwargs,  # type: ignore[arg-type]
    )


def job(world: SimWorld, size: int) -> tuple[str, str, bytes]:
    job_id = world.add_job(KEY, queued_for=0, processing_for=0, file_size=size)
    url = world.file_url(job_id)
    _, _, token, name = urlsplit(url).path.split("/", 3)
    spec = world.resolve_file(token, unquote(name)).file
    assert spec is not None
    return job_id, url, content_slice(spec)


def run(*argv: str | Path) -> bool:
    return subprocess.run([str(a) for a in argv], capture_output=True, check=False).returncode == 0


@pytest.fixture
def tiny_fs(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB filesystem (tmpfs), when this process may mount one (root in CI)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    if not run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mount):
        pytest.skip("cannot mount a tmpfs here; the injected full-disk writer test covers this")
    try:
        yield mount
    finally:
        run("umount", "-l", mount)


async def test_a_full_real_filesystem_fails_clearly_keeps_the_part_and_resumes_later(
    sim: SimServer, http_for: HttpFor, tiny_fs: Path
) -> None:
    job_id, url, data = job(sim.world, 3 * MIB)
    mgr = manager(sim, http_for, write_size=64 * 1024)
    final = await mgr.start(job_id, url, tiny_fs).wait()
    assert final.state is DownloadState.FAILED
    assert "disk is full" in final.message and ".part" in final.message
    meta = partfile.find_meta(tiny_fs, job_id)
    assert meta is not None
    kept = partfile.part_size(tiny_fs, meta.name)
    assert 0 < kept <= MIB
    assert data.startswith(partfile.part_path(tiny_fs, meta.name).read_bytes())

    # Space is freed: downloading again continues from the .part and ends with the same bytes.
    await asyncio.to_thread(run, "mount", "-o", "remount,size=8m", str(tiny_fs))
    again = await mgr.start(job_id, url, tiny_fs).wait()
    assert again.state is DownloadState.DONE, again.message
    assert again.path is not None and again.path.read_bytes() == data
    for _ in range(500):  # the server logs a request just after answering it
        if len(sim.world.file_log.items()) >= 2:
            break
        await asyncio.sleep(0.01)
    assert sim.world.file_log.items()[-1].range == f"bytes={kept}-"


class FullDisk:
    """A part-file opener whose files take ``room`` bytes in all, then fail with ENOSPC."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __call__(self, path: Path, *, create: bool, offset: int) -> partfile.PartFile:
        return _Limited(partfile.open_part_file(path, create=create, offset=offset), self)


class _Limited:
    def __init__(self, real: partfile.PartFile, disk: FullDisk) -> None:
        self._real, self._disk = real, disk

    def write(self, data: bytes | memoryview) -> None:
        fits = min(len(data), self._disk.room)
        self._real.write(data[:fits])
        self._disk.room -= fits
        if fits < len(data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def sync(self) -> None:
        self._real.sync()

    def close(self) -> None:
        self._real.close()


async def test_a_full_disk_from_a_patched_writer(
    sim: SimServer, http_for: HttpFor, tmp_path: Path
) -> None:
    job_id, url, data = job(sim.world, 3 * MIB)
    disk = FullDisk(MIB + 5)
    mgr = manager(sim, http_for, write_size=256 * 1024, open_part=disk)
    final = await mgr.start(job_id, url, tmp_path / "dl").wait()
    assert final.state is DownloadState.FAILED
    assert "disk is full" in final.message
    meta = partfile.find_meta(tmp_path / "dl", job_id)
    assert meta is not None
    part = partfile.part_path(tmp_path / "dl", meta.name).read_bytes()
    assert part == data[: MIB + 5]  # exactly what fitted: no hole, nothing after the failure

    disk.room = 10 * MIB
    again = await mgr.start(job_id, url, tmp_path / "dl").wait()
    assert again.state is DownloadState.DONE, again.message
    assert again.path is not None and again.path.read_bytes() == data


async def test_a_folder_that_cannot_be_written_says_so(
    sim: SimServer, http_for: HttpFor, tmp_path: Path
) -> None:
    job_id, url, _ = job(sim.world, 1000)
    blocked = tmp_path / "blocked"
    blocked.mkdir()
    if os.geteuid() == 0:  # permissions do not stop root: use a read-only filesystem instead
        if not await asyncio.to_thread(run, "mount", "-t", "tmpfs", "-o", "ro", "tmpfs", blocked):
            pytest.skip("root without mount: cannot make an unwritable folder")
    else:
        blocked.chmod(0o555)
    try:
        final = await manager(sim, http_for).start(job_id, url, blocked).wait()
    finally:
        if os.geteuid() == 0:
            await asyncio.to_thread(run, "umount", "-l", str(blocked))
        else:
            blocked.chmod(0o755)
    assert final.state is DownloadState.FAILED
    assert final.message.startswith(f"Cannot write to the folder {blocked}")


class HeldDisk:
    """Every write and fsync blocks its thread until the event loop has seen it start and let it
    go: a disk that answers only while the loop keeps turning.

    A write made on the loop's own thread could never be let go (the loop is the one blocked),
    so it waits out ``bound`` and is recorded as held up; no clock is read to judge it.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, bound: float = 10.0) -> None:
        self.loop = loop
        self.bound = bound
        self.started: asyncio.Queue[threading.Event] = asyncio.Queue()
        self.threads: set[int] = set()
        self.held_up = 0  # operations nobody let go within the bound

    def _hold(self) -> None:
        self.threads.add(threading.get_ident())
        release = threading.Event()
        self.loop.call_soon_threadsafe(self.started.put_nowait, release)
        if not release.wait(self.bound):
            self.held_up += 1

    def __call__(self, path: Path, *, create: bool, offset: int) -> partfile.PartFile:
        real = partfile.open_part_file(path, create=create, offset=offset)
        hold = self._hold

        class Held:
            def write(self, data: bytes | memoryview) -> None:
                hold()
                real.write(data)

            def sync(self) -> None:
                hold()
                real.sync()

            def close(self) -> None:
                real.close()

        return Held()


async def test_slow_disk_writes_do_not_stall_the_event_loop(
    sim: SimServer, http_for: HttpFor, tmp_path: Path
) -> None:
    """Each write blocks until the loop answers it: a write on the loop's thread (or one the loop
    waits for) would never be answered."""
    job_id, url, data = job(sim.world, 4 * MIB)
    disk = HeldDisk(asyncio.get_running_loop())
    mgr = manager(sim, http_for, write_size=MIB, open_part=disk)
    answered = 0

    async def answer() -> None:
        nonlocal answered
        while True:
            release = await disk.started.get()
            await asyncio.sleep(0)  # one more turn of the loop while the write is blocked
            answered += 1
            release.set()

    answering = asyncio.create_task(answer())
    try:
        final = await mgr.start(job_id, url, tmp_path / "dl").wait()
    finally:
        answering.cancel()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == data
    assert disk.held_up == 0, "a write waited for a loop that never turned"
    assert answered >= 5, answered  # four 1 MiB writes and the fsync, each answered by the loop
    assert threading.get_ident() not in disk.threads, "the disk was written on the loop's thread"
