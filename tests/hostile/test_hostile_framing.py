"""HTTP framing the status clients read alike, now that both are h11 (``core/liteconn.py``).

Over both clients (httpx's transport and the app's ``litehttp``): 1xx answers before the answer
are skipped, a head past the bound is a bad response (not memory), a header value with a line
break is never sent. Over ``litehttp`` alone: a kept-alive connection carries the next request
only when h11 says both sides are done and the server did not ask to close.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator

import httpx
import pytest
from hostileserver import HOST, JOB, HostileServer, Reply, Request, processing

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import BadResponse
from jobmonitor.api.models import JobStatus
from jobmonitor.core.liteconn import FEED, MAX_HEAD
from jobmonitor.core.litehttp import LiteClient

BODY = json.dumps(processing(JOB)).encode()


def framed(head_lines: list[str], body: bytes = BODY, *, before: bytes = b"") -> Reply:
    """``before`` (e.g. 1xx answers), then a 200 with these header lines and ``body``."""
    lines = ["HTTP/1.1 200 OK", "content-type: application/json", *head_lines]
    lines.append(f"content-length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def reply(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(before + head + body)

    return reply


def lite_client() -> LiteClient:
    return LiteClient(verify=ssl.create_default_context(), timeout=httpx.Timeout(5), headers={})


async def test_informational_answers_before_the_answer_are_skipped(
    server: HostileServer, client: StatusClient
) -> None:
    early = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n"
    server.on(JOB, framed([], before=early))
    snapshot = await client.get_job(JOB)
    assert snapshot.status is JobStatus.PROCESSING


async def test_a_head_past_the_bound_is_a_bad_response(
    server: HostileServer, client: StatusClient
) -> None:
    pad = "a" * 1000
    lines = [f"x-pad-{i}: {pad}" for i in range((MAX_HEAD + FEED) // 1000 + 100)]
    server.on(JOB, framed(lines))
    with pytest.raises(BadResponse):
        await client.get_job(JOB)


async def test_a_long_head_within_the_bound_is_read(
    server: HostileServer, client: StatusClient
) -> None:
    server.on(JOB, framed([f"x-pad-{i}: {'a' * 1000}" for i in range(MAX_HEAD // 1000 - 8)]))
    snapshot = await client.get_job(JOB)
    assert snapshot.status is JobStatus.PROCESSING


@pytest.fixture(params=["httpcore", "lite"])
async def raw_http(request: pytest.FixtureRequest) -> AsyncIterator[httpx.AsyncClient | LiteClient]:
    if request.param == "httpcore":
        async with httpx.AsyncClient(timeout=5) as http:
            yield http
        return
    lite = lite_client()
    yield lite
    await lite.aclose()


@pytest.mark.parametrize("value", ["a\r\nx-smuggled: 1", "a\nb", "a\rb", "a\x00b"])
async def test_a_header_value_with_a_line_break_or_nul_is_never_sent(
    server: HostileServer, raw_http: httpx.AsyncClient | LiteClient, value: str
) -> None:
    request = raw_http.build_request("GET", f"{server.url}/v1/jobs/{JOB}", headers={"x-a": value})
    with pytest.raises(httpx.LocalProtocolError):
        await raw_http.send(request, stream=True)  # type: ignore[arg-type]
    assert server.requests == []


class KeepAliveServer:
    """Answers every request of a connection with ``head`` and a small body, until closed."""

    def __init__(self, head: bytes) -> None:
        self.head = head
        self.requests = 0
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._serve, HOST, 0)
        return f"http://{HOST}:{self._server.sockets[0].getsockname()[1]}/x"

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for writer in self._writers:
            writer.close()
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                self.requests += 1
                writer.write(self.head)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


async def get_three(url: str) -> tuple[list[bytes], int]:
    lite = lite_client()
    bodies = []
    try:
        for _ in range(3):
            response = await lite.send(lite.build_request("GET", url, headers={}), stream=True)
            assert response.status_code == 200
            bodies.append(b"".join([piece async for piece in response.aiter_raw()]))
            await response.aclose()
        return bodies, lite.transport.connections_made
    finally:
        await lite.aclose()


@pytest.mark.parametrize(
    ("head", "connections"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", 1),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\no\r\n1\r\nk\r\n0\r\n\r\n", 1),
        (b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", 1),
        (b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok", 3),
        (b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\n\r\nok", 3),
        # more than the answer (bytes nobody asked for): never read as the next one
        (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n", 3),
    ],
    ids=["length", "chunked", "1xx", "connection-close", "http-1.0", "extra-bytes"],
)
async def test_a_connection_is_reused_only_when_h11_says_it_can_be(
    head: bytes, connections: int
) -> None:
    server = KeepAliveServer(head)
    async with server as url:
        bodies, made = await get_three(url)
    assert bodies == [b"ok"] * 3
    assert made == connections
    assert server.requests == 3
