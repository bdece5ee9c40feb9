"""The quick lane's connections over loopback: kept alive and verified over HTTPS, refused for a
certificate the trust does not hold (then the general path says why), replaced once when the
server closed a kept one, and never a request header with a line break in it."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
import trustme

from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadState
from jobmonitor.core.downloads.quick import QuickSettings
from jobmonitor.core.downloads.wire import Connection, NotQuick

BODY = bytes(range(251)) * 400
Serve = Callable[..., Awaitable[tuple[str, list[int]]]]


@pytest.fixture
async def keepalive() -> AsyncIterator[Serve]:
    """A server that answers every request on a connection with ``BODY`` (Content-Length, no
    ``connection: close``), closing after ``answers`` of them; returns its base URL and the
    number of requests each connection carried."""
    servers: list[asyncio.Server] = []

    async def start(
        *, tls: ssl.SSLContext | None = None, answers: int = 1000
    ) -> tuple[str, list[int]]:
        carried: list[int] = []

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            carried.append(0)
            slot = len(carried) - 1
            try:
                while carried[slot] < answers:
                    await reader.readuntil(b"\r\n\r\n")
                    carried[slot] += 1
                    head = f"HTTP/1.1 200 OK\r\nContent-Length: {len(BODY)}\r\n\r\n"
                    writer.write(head.encode() + BODY)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=tls)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return f"{'https' if tls else 'http'}://127.0.0.1:{port}", carried

    yield start
    for server in servers:
        server.close()
        await server.wait_closed()
    # A connection whose TLS handshake the client refused is taken down by the server's loop a
    # turn or two later; ended with the test's loop it would be left open, a ResourceWarning at
    # some later collection (the server counts its connections until each is down).
    deadline = time.monotonic() + 5
    while any(s._active_count for s in servers) and time.monotonic() < deadline:  # type: ignore[attr-defined]
        await asyncio.sleep(0.01)
        await server.wait_closed()


async def _no_refresh(_job_id: str) -> str | None:
    return None


def _manager(http: httpx.AsyncClient, trust: ssl.SSLContext, **options: object) -> DownloadManager:
    return DownloadManager(
        lambda _url: http,
        "https://api.example.invalid",
        lambda: "quick-wire-key-0123456789",
        _no_refresh,
        max_parallel=1,
        max_retries=0,
        quick=QuickSettings(lambda: trust),
        **options,  # type: ignore[arg-type]
    )


async def test_https_files_share_one_verified_kept_connection(
    keepalive: Serve, tmp_path: Path
) -> None:
    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    trust = ssl.create_default_context()
    ca.configure_trust(trust)
    base, carried = await keepalive(tls=server_ctx)
    async with httpx.AsyncClient(verify=trust) as http:
        manager = _manager(http, trust)
        finals = [
            await manager.start(f"job-{i}", f"{base}/r{i}.bin", tmp_path / "files").wait()
            for i in range(3)
        ]
        lane = manager.quick
        await manager.aclose()
    assert [f.state for f in finals] == [DownloadState.DONE] * 3, [f.message for f in finals]
    assert all(f.path is not None and f.path.read_bytes() == BODY for f in finals)
    assert lane is not None and lane.stats["connections"] == 1
    assert carried == [3]


# A refused TLS handshake leaves an asyncio transport to the garbage collector now and then
# (the test server's or httpx's: the lane's own socket is closed by SSLSocket when its handshake
# fails), and pytest reports that unraisable ResourceWarning as an error at teardown.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_certificate_the_trust_does_not_hold_is_refused(
    keepalive: Serve, tmp_path: Path
) -> None:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(server_ctx)
    trust = ssl.create_default_context()  # another CA signed the server's certificate
    base, _carried = await keepalive(tls=server_ctx)
    async with httpx.AsyncClient(verify=trust) as http:
        manager = _manager(http, trust)
        final = await manager.start("job", f"{base}/r.bin", tmp_path / "files").wait()
        lane = manager.quick
        await manager.aclose()
    assert final.state is DownloadState.FAILED
    assert "certificate" in final.message.lower()  # the general path says why
    assert lane is not None
    assert [k for k in lane.stats if "SSLCertVerificationError" in k]
    assert not (tmp_path / "files").exists() or list((tmp_path / "files").iterdir()) == []


async def test_a_kept_connection_the_server_closed_is_replaced_once(
    keepalive: Serve, tmp_path: Path
) -> None:
    base, carried = await keepalive(answers=1)  # closes each connection after one answer
    async with httpx.AsyncClient() as http:
        manager = _manager(http, ssl.create_default_context())
        finals = [
            await manager.start(f"job-{i}", f"{base}/r{i}.bin", tmp_path / "files").wait()
            for i in range(3)
        ]
        lane = manager.quick
        await manager.aclose()
    assert [f.state for f in finals] == [DownloadState.DONE] * 3, [f.message for f in finals]
    assert lane is not None and [k for k in lane.stats if k.startswith("fallback")] == []
    assert lane.stats["connections"] == 3 and carried == [1, 1, 1]


async def test_a_header_value_with_a_line_break_is_never_sent(keepalive: Serve) -> None:
    base, carried = await keepalive()
    port = int(base.rsplit(":", 1)[1])
    conn = await asyncio.to_thread(
        Connection.open, "127.0.0.1", port, f"127.0.0.1:{port}", context=None, timeout=5
    )
    try:
        with pytest.raises(NotQuick, match="cannot be sent"):
            conn.get(
                "/r.bin",
                {"x-api-key": "key\r\nx-injected: 1"},
                max_body=len(BODY),
                read_timeout=5,
                deadline=time.monotonic() + 5,
            )
    finally:
        conn.close()
    await asyncio.sleep(0.05)
    assert sum(carried) == 0  # nothing went out
