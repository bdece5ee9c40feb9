"""Fixtures and helpers shared by the download tests (imported by name, like uihelpers)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx
import pytest

from jobmonitor.api.urls import origin_of
from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadProgress, DownloadState
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
