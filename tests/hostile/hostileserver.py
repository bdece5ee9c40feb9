"""A hostile HTTP/1.1 server on raw asyncio sockets, for the cases a polite simulator never sends.

It binds 127.0.0.1 only and answers each request with the *reply* registered for its path (a
job id's last path segment, or the whole path), else the default reply. A reply writes whatever
bytes it likes: an answer about another job, a number of 400 digits, a body trickled a byte at a
time, a gzip of a gzip, a redirect to a port that does not exist. Every connection is bounded in
time (``connection_limit``) and closed after one answer, so nothing a test leaves behind can hang.

It runs in the test's own event loop (``async with HostileServer() as server``); ``hits`` counts
the requests per path, ``requests`` keeps their heads (to check which headers were sent).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import zlib
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

HOST = "127.0.0.1"  # loopback only, always
MAX_HEAD = 64 * 1024
KEY = "hostile-key-0123456789"
JOB = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
OTHER = "0f0f0f0f-1111-2222-3333-444444444444"
HEALTHY = "bbbbbbbb-0000-0000-0000-000000000001"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names lower-cased


Reply = Callable[[Request, asyncio.StreamWriter], Awaitable[None]]


class HostileServer:
    """See the module doc. ``on(key, reply)`` sets the reply for a path or a job id."""

    def __init__(self, *, connection_limit: float = 10.0) -> None:
        self.connection_limit = connection_limit
        self.replies: dict[str, Reply] = {}
        self.default: Reply = answer({"status": "error", "error": "JOB_NOT_FOUND"}, status=404)
        self.hits: Counter[str] = Counter()
        self.requests: list[Request] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def on(self, key: str, reply: Reply) -> None:
        self.replies[key] = reply

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    async def __aenter__(self) -> HostileServer:
        self._server = await asyncio.start_server(self._serve, HOST, 0, limit=MAX_HEAD)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            async with asyncio.timeout(self.connection_limit):
                request = await _read_head(reader)
                if request is None:
                    return
                self.requests.append(request)
                key = request.path.rstrip("/").rsplit("/", 1)[-1]
                self.hits[key] += 1
                reply = self.replies.get(request.path) or self.replies.get(key) or self.default
                await reply(request, writer)
                await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the connection's time is up, or the client went away: close it
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()


async def _read_head(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.LimitOverrunError, asyncio.IncompleteReadError):
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, path, _version = [*lines[0].split(" "), "", ""][:3]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return Request(method, path, headers)


def _head(status: int, headers: dict[str, str] | list[tuple[str, str]]) -> bytes:
    items = headers.items() if isinstance(headers, dict) else headers
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in items] + ["connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# -- replies ------------------------------------------------------------------------------------


def raw(
    status: int, body: bytes = b"", headers: dict[str, str] | list[tuple[str, str]] | None = None
) -> Reply:
    """Exactly these bytes, with a Content-Length unless the headers bring their own framing."""
    given = list((headers or {}).items() if isinstance(headers, dict | None) else headers)
    if not any(k.lower() in ("content-length", "transfer-encoding") for k, _ in given):
        given.append(("content-length", str(len(body))))

    async def reply(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(status, given) + body)

    return reply


def answer(
    data: Any, *, status: int = 200, headers: dict[str, str] | None = None, text: str | None = None
) -> Reply:
    """A JSON answer (``text`` when the JSON must be written by hand: NaN, 400-digit numbers)."""
    body = (text if text is not None else json.dumps(data)).encode()
    return raw(status, body, {"content-type": "application/json", **(headers or {})})


def processing(job_id: str, **fields: Any) -> dict[str, Any]:
    """A queued/processing answer about ``job_id`` with ``fields`` on top."""
    data: dict[str, Any] = {
        "status": "processing",
        "job_id": job_id,
        "created_at": 1_700_000_000,
        "updated_at": 1_700_000_010,
        "message": "working",
        "retry_after": 1,
    }
    data.update(fields)
    return data


def trickle(body: bytes, *, every: float, status: int = 200) -> Reply:
    """The head at once, then the body one byte every ``every`` seconds (the read timeout never
    fires, since each byte restarts it)."""

    async def reply(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(status, {"content-length": str(len(body))}))
        await writer.drain()
        for i in range(len(body)):
            await asyncio.sleep(every)
            writer.write(body[i : i + 1])
            await writer.drain()

    return reply


def redirect(location: str, status: int = 302) -> Reply:
    return raw(status, b"", {"location": location})


def bomb(size: int, encodings: tuple[str, ...] = ("gzip", "gzip"), fill: bytes = b"0") -> bytes:
    """``size`` bytes of ``fill`` compressed with each encoding in turn (as Content-Encoding
    lists them), built piece by piece so that making a bomb costs no memory either."""
    piece = fill * (1024 * 1024 // len(fill))
    layers = [_compressor(e) for e in encodings]
    out: list[bytes] = []

    def push(data: bytes, depth: int) -> None:
        if depth == len(layers):
            out.append(data)
            return
        push(layers[depth].compress(data), depth + 1)

    left = size
    while left > 0:
        chunk = piece[: min(left, len(piece))]
        left -= len(chunk)
        push(chunk, 0)
    for depth in range(len(layers)):  # flush each layer into the next
        push(layers[depth].flush(), depth + 1)
    return b"".join(out)


def _compressor(encoding: str) -> Any:
    if encoding == "gzip":
        return zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)
    raise ValueError(encoding)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


def sequence(*replies: Reply) -> Reply:
    """The first reply to the first request, the next to the next; the last one from then on."""
    served = 0

    async def reply(request: Request, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        chosen = replies[min(served, len(replies) - 1)]
        served += 1
        await chosen(request, writer)

    return reply


def success(job_id: str, file_url: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {"request_id": "req-1", "status": "success", "preview": "{}"}
    if file_url is not None:
        result["file"] = file_url
    return {"status": "success", "job_id": job_id, "result": result}


def cut(status: int, body: bytes, headers: dict[str, str], *, after: int) -> Reply:
    """A head promising all of ``body`` (Content-Length), then ``after`` bytes and a closed
    connection: a transfer cut in the middle."""

    async def reply(_request: Request, writer: asyncio.StreamWriter) -> None:
        writer.write(_head(status, {**headers, "content-length": str(len(body))}) + body[:after])

    return reply


def ranged(body: bytes, headers: dict[str, str]) -> Reply:
    """The file ``body``: all of it (200), or from the asked offset on (206) for ``Range``."""

    async def reply(request: Request, writer: asyncio.StreamWriter) -> None:
        spec = request.headers.get("range", "")
        if spec.startswith("bytes=") and spec.endswith("-"):
            start = int(spec[6:-1])
            part = body[start:]
            extra = {"content-range": f"bytes {start}-{len(body) - 1}/{len(body)}"}
            writer.write(_head(206, {**headers, **extra, "content-length": str(len(part))}) + part)
        else:
            writer.write(_head(200, {**headers, "content-length": str(len(body))}) + body)

    return reply
