"""The upload client over real sockets: presigned POST streamed from disk, the key kept on the
API origin, progress, cancel, and a file that changes while it is sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from apihelpers import KEY

from jobmonitor.api.errors import Cancelled, InvalidInput, StorageRefused, UploadNotFound
from jobmonitor.api.uploads import UploadClient
from jobmonitor.sim import ManualClock, SimServer, SimWorld


@pytest.fixture
def uploads(http: httpx.AsyncClient, server: SimServer) -> UploadClient:
    return UploadClient(http, server.api_url, api_key=KEY)


async def test_upload_list_and_delete(
    uploads: UploadClient, world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "data.json"
    path.write_bytes(b'{"a": 1}' * 50_000)  # 400 kB, several pieces
    seen: list[tuple[int, int]] = []
    ticket = await uploads.request_upload("data.json")
    sent = await uploads.send_file(
        ticket, path, progress=lambda done, total: seen.append((done, total)), chunk_size=64 * 1024
    )
    assert sent == path.stat().st_size
    assert seen[-1] == (sent, sent) and len(seen) > 3
    stored = world.uploads.get(ticket.upload_id)
    assert stored is not None and stored.path is not None
    assert stored.path.read_bytes() == path.read_bytes()
    (item,) = await uploads.list_uploads("completed")
    assert (item.upload_id, item.file_size, item.s3_key) == (ticket.upload_id, sent, ticket.key)
    await uploads.delete_upload(ticket.upload_id)
    with pytest.raises(UploadNotFound):
        await uploads.delete_upload(ticket.upload_id)
    stats = world.stats
    assert stats.storage_requests == 1 and stats.storage_requests_with_key == 0


async def test_a_file_that_grows_while_sent_stores_nothing(
    uploads: UploadClient, world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "log.txt"
    path.write_bytes(b"line\n" * 100_000)
    ticket = await uploads.request_upload("log.txt")

    def grow(done: int, total: int) -> None:
        with path.open("ab") as f:
            f.write(b"more\n")

    with pytest.raises(InvalidInput) as caught:
        await uploads.send_file(ticket, path, progress=grow, chunk_size=64 * 1024)
    assert caught.value.code == "FILE_CHANGED"
    assert world.uploads.get(ticket.upload_id).status == "pending"  # type: ignore[union-attr]


async def test_a_file_removed_while_sent(
    uploads: UploadClient, world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "gone.txt"
    path.write_bytes(b"x" * 300_000)
    ticket = await uploads.request_upload("gone.txt")
    with pytest.raises(InvalidInput) as caught:
        await uploads.send_file(
            ticket, path, progress=lambda d, t: path.unlink(missing_ok=True), chunk_size=64 * 1024
        )
    assert caught.value.code == "FILE_VANISHED"
    assert world.uploads.get(ticket.upload_id).path is None  # type: ignore[union-attr]


async def test_cancel_stops_the_upload(
    uploads: UploadClient, world: SimWorld, tmp_path: Path
) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"y" * 1_000_000)
    ticket = await uploads.request_upload("big.txt")
    cancel = asyncio.Event()
    with pytest.raises(Cancelled):
        await uploads.send_file(
            ticket, path, progress=lambda d, t: cancel.set(), cancel=cancel, chunk_size=64 * 1024
        )
    assert world.uploads.get(ticket.upload_id).path is None  # type: ignore[union-attr]


async def test_storage_refusals(
    uploads: UploadClient, world: SimWorld, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "a.json"
    path.write_bytes(b"{}" * 100)
    world.uploads.limits.max_size = 50
    small = await uploads.request_upload("a.json")
    with pytest.raises(StorageRefused) as caught:
        await uploads.send_file(small, path)
    assert caught.value.code == "EntityTooLarge" and not caught.value.expired
    world.uploads.limits.max_size = 10_000
    ticket = await uploads.request_upload("a.json")
    clock.advance(301)
    with pytest.raises(StorageRefused) as expired:
        await uploads.send_file(ticket, path)
    assert expired.value.expired and expired.value.http_status == 403


async def test_names_are_checked_before_any_request(
    uploads: UploadClient, world: SimWorld, tmp_path: Path
) -> None:
    with pytest.raises(InvalidInput):
        await uploads.request_upload("my file.json")
    with pytest.raises(InvalidInput) as caught:
        await uploads.send_file(await uploads.request_upload("x.json"), tmp_path / "missing.json")
    assert caught.value.code == "FILE_UNREADABLE"
    assert world.stats.requests == 1 and world.stats.storage_requests == 0
