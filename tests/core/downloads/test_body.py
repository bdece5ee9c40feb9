"""core/body.py: a download's body read past httpx's layers, on real loopback sockets.

The simulator's file origin for whole files; a hand-written server (asyncio.start_server) for
answers no well-behaved server sends: bytes after the body, a stall, an early close.
"""

# ruff: noqa: F811  (the fixtures come from test_downloads_helpers by import, not a conftest)
from __future__ import annotations

import asyncio
import gzip
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import trustme
from test_downloads_helpers import MIB, clock, expected, new_job, sim  # noqa: F401 - fixtures

from jobmonitor.core.downloads.body import body_chunks, direct_length
from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.sim.files import create_files_app
from jobmonitor.sim.server import SimServer


async def _read(response: httpx.Response, read_size: int = 1024 * 1024) -> bytes:
    return b"".join([chunk async for chunk in body_chunks(response, read_size=read_size)])


async def test_a_plain_body_bypasses_httpx_and_arrives_whole(sim: SimServer) -> None:
    size = 6 * MIB + 77
    _job, url = new_job(sim.world, file_size=size)
    async with httpx.AsyncClient() as http, http.stream("GET", url) as response:
        assert direct_length(response) == size
        data = await _read(response, read_size=64 * 1024)
        # httpx counts what passes its own iterator: the first piece only.
        assert 0 < response.num_bytes_downloaded < size // 2
    assert data == expected(sim.world, url)


async def test_the_connection_is_not_reused_after_a_direct_read_and_the_next_request_works(
    sim: SimServer,
) -> None:
    _job, url = new_job(sim.world, file_size=2 * MIB + 5)
    async with httpx.AsyncClient() as http:
        for _ in range(3):
            async with http.stream("GET", url) as response:
                assert await _read(response) == expected(sim.world, url)
        partial = await http.get(url, headers={"range": "bytes=10-19"})
        assert partial.status_code == 206 and partial.content == expected(sim.world, url)[10:20]


async def test_a_chunked_body_goes_through_httpx(sim: SimServer) -> None:
    sim.world.file_faults.content_length = False
    _job, url = new_job(sim.world, file_size=MIB + 3)
    async with httpx.AsyncClient() as http, http.stream("GET", url) as response:
        assert direct_length(response) is None
        assert await _read(response) == expected(sim.world, url)
        assert response.num_bytes_downloaded == MIB + 3


async def test_an_in_process_transport_has_no_network_stream(sim: SimServer) -> None:
    _job, url = new_job(sim.world, file_size=1000)
    transport = httpx.ASGITransport(app=create_files_app(sim.world))
    async with (
        httpx.AsyncClient(transport=transport) as http,
        http.stream("GET", url) as response,
    ):
        assert response.status_code == 200
        assert direct_length(response) is None
        assert await _read(response) == expected(sim.world, url)


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    servers: list[asyncio.Server] = []

    async def start(handler: Handler) -> str:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            try:
                await handler(reader, writer)
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/file.bin"

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()


def _head(length: int, extra: str = "") -> bytes:
    return f"HTTP/1.1 200 OK\r\nContent-Length: {length}\r\n{extra}\r\n".encode()


async def test_bytes_after_the_body_are_never_taken(
    raw_server: Callable[..., Awaitable[str]],
) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB
    done = asyncio.Event()

    async def handler(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(len(body)) + body[:1000])
        await writer.drain()
        writer.write(body[1000:] + b"NOT PART OF THE BODY")
        await writer.drain()
        await done.wait()  # keep the connection open: reading on would hang

    url = await raw_server(handler)
    async with httpx.AsyncClient(timeout=5) as http, http.stream("GET", url) as response:
        assert direct_length(response) == len(body)
        data = await _read(response)
    done.set()
    assert data == body


async def test_a_stalled_body_raises_httpx_read_timeout(
    raw_server: Callable[..., Awaitable[str]],
) -> None:
    release = asyncio.Event()

    async def handler(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(10 * MIB) + b"x" * MIB)
        await writer.drain()
        await release.wait()

    url = await raw_server(handler)
    got = 0
    async with httpx.AsyncClient(timeout=0.3) as http, http.stream("GET", url) as response:
        with pytest.raises(httpx.ReadTimeout):
            async for chunk in body_chunks(response):
                got += len(chunk)
    release.set()
    assert got == MIB  # every byte sent arrived before the timeout


async def test_an_early_close_ends_the_body_short_without_an_error(
    raw_server: Callable[..., Awaitable[str]],
) -> None:
    async def handler(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(5 * MIB))
        await writer.drain()
        writer.write(b"y" * (2 * MIB))
        await writer.drain()

    url = await raw_server(handler)
    async with httpx.AsyncClient(timeout=5) as http, http.stream("GET", url) as response:
        data = await _read(response)
    assert data == b"y" * (2 * MIB)  # the caller compares with Content-Length and resumes


async def test_a_compressed_body_is_left_to_httpx(
    raw_server: Callable[..., Awaitable[str]],
) -> None:
    packed = gzip.compress(b"z" * 100_000)

    async def handler(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(len(packed), "Content-Encoding: gzip\r\n") + packed)
        await writer.drain()

    url = await raw_server(handler)
    async with httpx.AsyncClient(timeout=5) as http, http.stream("GET", url) as response:
        assert direct_length(response) is None
        assert await _read(response) == packed  # raw bytes, exactly as httpx gives them


async def test_over_tls_the_direct_read_gets_the_decrypted_body(tmp_path: Path) -> None:
    """Real result files come over HTTPS: the direct read goes through the TLS stream."""
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    body = bytes(range(251)) * (4 * 4177)  # ~4 MiB, a length no chunk size divides

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(_head(len(body)) + body)
        await writer.drain()
        await reader.read()  # until the client closes
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=server_ctx)
    port = server.sockets[0].getsockname()[1]
    url = f"https://127.0.0.1:{port}/report.bin"
    try:
        async with httpx.AsyncClient(verify=client_ctx, timeout=10) as http:
            async with http.stream("GET", url) as response:
                assert direct_length(response) == len(body)
                assert await _read(response) == body
                assert response.num_bytes_downloaded < len(body) // 2  # the direct path
            manager = DownloadManager(lambda _url: http, url, lambda: None, _no_refresh)
            final = await manager.start("tls-job", url, tmp_path).wait()
            assert final.state is DownloadState.DONE, final.message
            assert final.path is not None and final.path.read_bytes() == body
    finally:
        server.close()
        await server.wait_closed()


async def _no_refresh(_job_id: str) -> str | None:
    return None
