"""Downloads and links: the key's origin, HTTPS only, redirects, expired links refreshed.

Against the simulator on real loopback sockets: the file origin is 127.0.0.2, the API 127.0.0.1.
"""

# ruff: noqa: F811  (the fixtures come from test_downloads_helpers by import, not a conftest)
from __future__ import annotations

from pathlib import Path

import pytest
from test_downloads_helpers import (  # noqa: F401 - fixtures
    KEY,
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
    sim,
)

from jobmonitor.api.client import StatusClient
from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.sim.faults import ManualClock
from jobmonitor.sim.server import SimServer


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

    # The app switched to another API: the key no longer goes to the old origin's files.
    same.set_api_origin(sim.api_url)
    assert same.api_origin == sim.api_url
    assert (await same.start(job_id, url, folder).wait()).state is DownloadState.DONE
    await logged(sim.world, 3)
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
