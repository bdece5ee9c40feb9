"""The quick lane (small files on worker threads) against a hostile file server over loopback:
a body cut short, one longer than its Content-Length, a stalled or trickling server, a redirect
to another origin, 5xx, framing it must not guess at. Each is handed to the general path before
a byte is saved, and ends as the general path ends it; the key never reaches another origin."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hostileserver import (
    JOB,
    KEY,
    HostileServer,
    Reply,
    Request,
    _head,
    cut,
    raw,
    redirect,
    sequence,
    trickle,
)

from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import Download, DownloadState
from jobmonitor.core.downloads.quick import QuickSettings

BODY = bytes(range(256)) * 400  # 102,400 bytes


@pytest.fixture
async def files() -> AsyncIterator[HostileServer]:
    """A second origin (another port): a file host that is not the API."""
    async with HostileServer() as running:
        yield running


def make(
    server: HostileServer, http: httpx.AsyncClient, **quick: float
) -> tuple[DownloadManager, list[str]]:
    async def refresh(_job_id: str) -> str | None:
        return None

    manager = DownloadManager(
        lambda _url: http,
        server.url,  # the API's origin
        lambda: KEY,
        refresh,
        backoff=0.01,
        max_retries=1,
        quick=QuickSettings(ssl.create_default_context, **quick),
    )
    return manager, []


def reasons(manager: DownloadManager) -> list[str]:
    lane = manager.quick
    assert lane is not None, "the quick lane was never used"
    return sorted(k.removeprefix("fallback: ") for k in lane.stats if k.startswith("fallback"))


async def fetch(manager: DownloadManager, url: str, folder: Path) -> Download:
    """Download ``url`` into ``folder`` / "files" (the tests' temporary folder holds more)."""
    try:
        download = manager.start(JOB, url, folder / "files")
        await download.wait()
        return download
    finally:
        await manager.aclose()


async def test_a_body_cut_short_is_fetched_again_the_general_way(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    server.on("/files/r.bin", sequence(cut(200, BODY, {}, after=1000), raw(200, BODY)))
    manager, _ = make(server, http)
    final = await fetch(manager, server.url + "/files/r.bin", tmp_path)
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == BODY
    assert reasons(manager) == [f"the connection ended after 1000 of {len(BODY)} bytes"]
    assert server.hits["r.bin"] == 2


async def test_a_body_longer_than_its_length_is_never_saved_with_the_extra_bytes(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    too_long = raw(200, BODY + b"NEXT ANSWER?", {"content-length": str(len(BODY))})
    server.on("/files/r.bin", too_long)
    manager, _ = make(server, http)
    final = await fetch(manager, server.url + "/files/r.bin", tmp_path)
    assert reasons(manager) == ["the answer is longer than its Content-Length"]
    assert final.state is DownloadState.DONE, final.message  # the general path: as promised
    assert final.path is not None and final.path.read_bytes() == BODY


def _stall(after: int) -> Reply:
    """The head and ``after`` bytes of the body, then nothing (until the server's limit)."""

    async def reply(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(200, {"content-length": str(len(BODY))}) + BODY[:after])
        await writer.drain()
        await asyncio.sleep(60)

    return reply


async def test_a_stalled_server_is_given_up_on_within_the_read_timeout(
    server: HostileServer, tmp_path: Path
) -> None:
    server.on("/files/r.bin", _stall(500))
    async with httpx.AsyncClient(timeout=0.3) as http:
        manager, _ = make(server, http, read_timeout=0.3)
        final = await fetch(manager, server.url + "/files/r.bin", tmp_path)
    assert final.state is DownloadState.FAILED
    assert "timed out" in final.message.lower() and "gave up after 2 tries" in final.message
    assert reasons(manager) == ["no byte for 0.3 s after 500 bytes"]


async def test_a_trickling_server_is_given_up_on_at_the_quick_deadline(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    body = b"0123456789" * 3
    server.on("/files/r.txt", trickle(body, every=0.05))  # each byte resets a read timeout
    manager, _ = make(server, http, total_timeout=0.3)
    final = await fetch(manager, server.url + "/files/r.txt", tmp_path)
    assert reasons(manager) == ["the file took too long"]
    assert final.state is DownloadState.DONE, final.message  # the general path has no deadline
    assert final.path is not None and final.path.read_bytes() == body


async def test_a_redirect_to_another_origin_goes_there_without_the_key(
    server: HostileServer, files: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    server.on("/files/r.bin", redirect(files.url + "/store/r.bin"))
    files.on("/store/r.bin", raw(200, BODY))
    manager, _ = make(server, http)
    final = await fetch(manager, server.url + "/files/r.bin", tmp_path)
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == BODY
    assert reasons(manager) == ["HTTP 302"]
    assert [r.headers.get("x-api-key") for r in server.requests] == [KEY, KEY]  # its own origin
    assert [r.path for r in files.requests] == ["/store/r.bin"]
    assert "x-api-key" not in files.requests[0].headers


async def test_a_file_on_another_origin_never_gets_the_key_on_the_quick_way(
    server: HostileServer, files: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    files.on("/store/r.bin", raw(200, BODY))
    manager, _ = make(server, http)
    final = await fetch(manager, files.url + "/store/r.bin", tmp_path)
    assert final.state is DownloadState.DONE, final.message
    assert reasons(manager) == []
    assert files.requests[0].headers.get("user-agent", "").startswith("jobmonitor/")
    assert "x-api-key" not in files.requests[0].headers


async def test_a_server_error_is_retried_the_general_way(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    busy = raw(503, b"busy", {"content-type": "text/plain"})
    server.on("/files/r.bin", sequence(busy, busy, raw(200, BODY)))
    manager, _ = make(server, http)
    final = await fetch(manager, server.url + "/files/r.bin", tmp_path)
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == BODY
    assert reasons(manager) == ["HTTP 503"]
    assert server.hits["r.bin"] == 3  # the lane's try, the general path's two


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ([("content-length", "10"), ("content-length", "10")], "content-length sent twice"),
        ([("transfer-encoding", "chunked")], "a transfer coding"),
        ([("content-encoding", "gzip"), ("content-length", "10")], "a compressed body"),
        ([("content-length", "1048577")], "too big for the quick lane"),
        ([("content-length", "+10")], "no usable Content-Length"),
        ([("x-folded", "a"), (" folded", "b"), ("content-length", "10")], "a header line"),
    ],
)
async def test_framing_the_lane_does_not_understand_is_left_to_the_general_path(
    server: HostileServer,
    http: httpx.AsyncClient,
    tmp_path: Path,
    headers: list[tuple[str, str]],
    reason: str,
) -> None:
    server.on("/files/r.bin", raw(200, b"0123456789", headers))
    manager, _ = make(server, http)
    final = await fetch(manager, server.url + "/files/r.bin", tmp_path)
    assert final.state.terminal
    found = reasons(manager)
    assert len(found) == 1 and found[0].startswith(reason), found


async def test_a_quick_download_in_flight_is_cancelled_without_leaving_a_file(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    server.on("/files/r.bin", _stall(5000))
    manager, _ = make(server, http)
    download = manager.start(JOB, server.url + "/files/r.bin", tmp_path / "files")
    lane = manager.quick
    assert lane is not None
    for _ in range(1000):  # until the worker has the first bytes
        if any(item.received > 0 or item.conn is not None for item in lane.in_flight()):
            break
        await asyncio.sleep(0.005)
    assert manager.cancel(JOB)
    final = await download.wait()
    assert final.state is DownloadState.CANCELLED
    assert not (tmp_path / "files").exists() or list((tmp_path / "files").iterdir()) == []
    await manager.aclose()
