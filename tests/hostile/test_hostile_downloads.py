"""Downloads from a hostile file server: bombs, spliced resumes, planted symlinks, broken
redirects, compressed files, a full disk (issue 12, items 3, 8, 9, 12, 13)."""

from __future__ import annotations

import errno
import gzip
import os
import tracemalloc
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from hostileserver import JOB, KEY, HostileServer, bomb, cut, ranged, raw, redirect, sequence

from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import Download, DownloadState, human_size
from jobmonitor.core.downloads.partfile import PartFile, open_part_file

MIB = 1024 * 1024


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def download(
    server: HostileServer, http: httpx.AsyncClient, path: str, folder: Path, **kwargs: object
) -> Download:
    async def refresh(_job_id: str) -> str | None:
        return None

    manager = DownloadManager(
        lambda _url: http,
        server.url,
        lambda: KEY,
        refresh,
        backoff=0.01,
        **kwargs,  # type: ignore[arg-type]
    )
    try:
        return await manager.start(JOB, server.url + path, folder).wait()
    finally:
        await manager.aclose()


async def test_a_gzip_of_a_gzip_is_saved_with_flat_memory(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    size = 48 * MIB
    body = bomb(size, ("gzip", "gzip"))
    server.on("/files/result.bin", raw(200, body, {"content-encoding": "gzip, gzip"}))
    tracemalloc.start()
    try:
        final = await download(server, http, "/files/result.bin", tmp_path, write_size=MIB)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.stat().st_size == size
    with final.path.open("rb") as saved:
        assert saved.read(MIB) == b"0" * MIB
    assert peak < 16 * MIB  # the file is 48 MiB: it never was in memory at once


async def test_a_compressed_file_name_keeps_the_bytes_as_sent(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    data = gzip.compress(b'{"rows": [1, 2, 3]}')
    headers = {"content-encoding": "gzip", "content-type": "application/gzip"}
    server.on("/files/data.json.gz", raw(200, data, headers))
    final = await download(server, http, "/files/data.json.gz", tmp_path)
    assert final.state is DownloadState.DONE, final.message
    assert final.path == tmp_path / "data.json.gz"
    assert final.path.read_bytes() == data  # a .gz that holds gzip, as a browser saves it


async def test_a_symlink_planted_at_the_part_name_is_a_taken_name(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    folder = tmp_path / "dl"
    folder.mkdir()
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    os.symlink(victim, folder / "result.bin.part")
    server.on("/files/result.bin", raw(200, b"new bytes"))
    final = await download(server, http, "/files/result.bin", folder)
    assert final.state is DownloadState.DONE, final.message
    assert final.path == folder / "result (1).bin"
    assert final.path.read_bytes() == b"new bytes"
    assert victim.read_bytes() == b"precious"  # nothing written through the link
    assert (folder / "result.bin.part").is_symlink()  # and the link left as it was


async def test_a_resume_answered_with_another_etag_starts_over(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    first = b"A" * (2 * MIB)
    second = b"B" * (2 * MIB)
    server.on(
        "/files/result.bin",
        sequence(
            cut(200, first, {"etag": '"A"'}, after=MIB),
            ranged(second, {"etag": '"B"'}),  # If-Range: "A" answered 206 with "B": ignored
        ),
    )
    final = await download(server, http, "/files/result.bin", tmp_path)
    assert final.state is DownloadState.DONE, final.message
    assert final.path is not None and final.path.read_bytes() == second  # never half A, half B
    asked = [r.headers for r in server.requests]
    assert asked[1].get("if-range") == '"A"'
    assert "range" not in asked[-1]  # the last request was for the whole file


@pytest.mark.parametrize("location", ["http://[::1", "http://127.0.0.1:99999/f"])
async def test_a_redirect_to_an_address_that_does_not_parse_fails_at_once(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path, location: str
) -> None:
    server.on("/files/result.bin", redirect(location))
    final = await download(server, http, "/files/result.bin", tmp_path)
    assert final.state is DownloadState.FAILED
    assert "not a valid address" in final.message
    assert server.hits["result.bin"] == 1  # no retries: it will not parse next time either


class FillingDisk:
    """A ``.part`` opener whose disk is full after ``room`` bytes."""

    def __init__(self, room: int) -> None:
        self.room = room

    def __call__(self, path: Path, *, create: bool, offset: int) -> PartFile:
        inner = open_part_file(path, create=create, offset=offset)
        disk = self

        class Full:
            def write(self, data: bytes | memoryview) -> None:
                take = min(len(data), disk.room)
                if take:
                    inner.write(memoryview(data)[:take])
                    disk.room -= take
                if take < len(data):
                    raise OSError(errno.ENOSPC, "No space left on device")

            def sync(self) -> None:
                inner.sync()

            def close(self) -> None:
                inner.close()

        return Full()


async def test_a_full_disk_says_how_much_is_really_saved(
    server: HostileServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    server.on("/files/result.bin", raw(200, b"x" * (8 * MIB)))
    room = 2 * MIB + 90 * 1024
    final = await download(
        server, http, "/files/result.bin", tmp_path, write_size=MIB, open_part=FillingDisk(room)
    )
    assert final.state is DownloadState.FAILED
    assert "disk is full" in final.message
    assert (tmp_path / "result.bin.part").stat().st_size == room
    assert f"{human_size(room)} saved so far" in final.message  # 2.2 MB, not the 4 MB received
