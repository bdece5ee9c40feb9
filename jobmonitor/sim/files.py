"""The result-file origin: deterministic content of any size, Range/ETag/If-Range, and faults.

``GET|HEAD /files/{token}/{name}``. A small job's file is its preview (JSON); a file registered
with ``file_size`` is generated on the fly from one precomputed 1 MiB block, stamped with the block
index and the file's version, so any offset is computed without holding the file in memory, and a
resumed download that splices at the wrong offset is caught by comparing with ``content_slice``.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import random
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from jobmonitor.sim.faults import FileRequestRecord
from jobmonitor.sim.jobs import FileSpec
from jobmonitor.sim.samples import sample_bytes
from jobmonitor.sim.world import SimWorld

BLOCK = 1024 * 1024  # generation unit and the size of the chunks sent
_EXPIRED_BODIES = {
    403: (
        b"application/xml",
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
        b"<Message>Request has expired</Message></Error>\n",
    ),
    410: (b"text/plain; charset=utf-8", b"Gone: this download link has expired\n"),
    404: (b"text/plain; charset=utf-8", b"Not Found"),
}


@functools.cache
def _base_block() -> bytes:
    return random.Random(0x5EED).randbytes(BLOCK)


def _block(index: int, version: int) -> bytes:
    stamp = b"%04x%012x" % (version & 0xFFFF, index & 0xFFFFFFFFFFFF)
    return b"".join((stamp, memoryview(_base_block())[len(stamp) :]))


def iter_content(spec: FileSpec, start: int, end: int) -> Iterator[bytes]:
    """The bytes ``[start, end)`` of a file, in chunks of at most ``BLOCK``."""
    if spec.content is not None:
        if start < end:
            yield spec.content[start:end]
        return
    pos = start
    while pos < end:
        index, offset = divmod(pos, BLOCK)
        block = _block(index, spec.version)
        stop = min(BLOCK, offset + end - pos)
        chunk = block if offset == 0 and stop == BLOCK else block[offset:stop]
        yield chunk
        pos += len(chunk)


def content_slice(spec: FileSpec, start: int = 0, end: int | None = None) -> bytes:
    """The expected bytes of a file (for tests; mind the size of what you ask for)."""
    return b"".join(iter_content(spec, start, spec.size if end is None else end))


def parse_range(value: str, size: int) -> tuple[int, int] | str | None:
    """A single ``bytes=`` range as ``(start, end_exclusive)``; "unsatisfiable"; or None to ignore
    (bad syntax, other units and multiple ranges are ignored: the whole file is sent, RFC 9110)."""
    unit, _, spec = value.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "":
        if last == "":
            return None
        length = int(last)
        if length == 0 or size == 0:
            return "unsatisfiable"
        return max(size - length, 0), size
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        return "unsatisfiable"
    end = min(int(last) + 1, size) if last else size
    return start, end


def _if_range_holds(value: str, spec: FileSpec, etag: str | None) -> bool:
    value = value.strip()
    if value.startswith(('"', "W/")):
        return etag is not None and value == etag  # strong comparison: a weak tag never holds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    return int(when.timestamp()) == int(spec.modified)


class FileEndpoint:
    """A raw ASGI endpoint: it needs to stop mid-body (to cut) and to stream big chunks."""

    def __init__(self, world: SimWorld) -> None:
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        world, faults = self.world, self.world.file_faults
        headers = Headers(scope=scope)
        if faults.latency > 0:
            await asyncio.sleep(faults.latency)
        params = scope["path_params"]
        lookup = world.resolve_file(params["token"], params["name"])
        record = functools.partial(
            FileRequestRecord,
            scope["method"],
            scope["path"],
            headers.get("range"),
            headers.get("if-range"),
            "x-api-key" in headers,
        )
        spec = lookup.file
        if spec is None:
            ctype, body = _EXPIRED_BODIES.get(lookup.status, _EXPIRED_BODIES[404])
            await _send_simple(send, lookup.status, ctype, body)
            world.record_file_request(record(lookup.status), 0, cut=False)
            return
        etag = spec.etag if faults.etag else None
        out: list[tuple[bytes, bytes]] = [
            (b"content-type", _content_type(spec.name)),
            (b"last-modified", email.utils.formatdate(spec.modified, usegmt=True).encode()),
        ]
        if faults.ranges:
            out.append((b"accept-ranges", b"bytes"))
        if etag is not None:
            out.append((b"etag", etag.encode()))
        if spec.disposition is not None:
            out.append((b"content-disposition", spec.disposition.encode("utf-8")))
        status, start, end = 200, 0, spec.size
        wanted = headers.get("range") if faults.ranges else None
        if (
            wanted
            and "if-range" in headers
            and not _if_range_holds(headers["if-range"], spec, etag)
        ):
            wanted = None
        parsed = parse_range(wanted, spec.size) if wanted else None
        if parsed == "unsatisfiable":
            out.append((b"content-range", f"bytes */{spec.size}".encode()))
            await _send_simple(
                send, 416, b"text/plain; charset=utf-8", b"Range Not Satisfiable", out
            )
            world.record_file_request(record(416), 0, cut=False)
            return
        if isinstance(parsed, tuple):
            status, (start, end) = 206, parsed
            out.append((b"content-range", f"bytes {start}-{end - 1}/{spec.size}".encode()))
        if faults.content_length:
            out.append((b"content-length", str(end - start).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            world.record_file_request(record(status), 0, cut=False)
            return
        sent, cut = await self._send_body(send, receive, spec, start, end)
        world.record_file_request(record(status), sent, cut=cut)

    async def _send_body(
        self, send: Send, receive: Receive, spec: FileSpec, start: int, end: int
    ) -> tuple[int, bool]:
        cut_after = self.world.take_cut()
        gone = asyncio.Event()
        watcher = asyncio.create_task(_watch_disconnect(receive, gone))
        sent = 0
        try:
            for chunk in iter_content(spec, start, end):
                if gone.is_set():
                    return sent, False
                if cut_after is not None and sent + len(chunk) >= cut_after:
                    part = chunk[: cut_after - sent]
                    await send({"type": "http.response.body", "body": part, "more_body": True})
                    # Returning without the final message makes the server drop the connection.
                    return sent + len(part), True
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
                sent += len(chunk)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return sent, False
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher


async def _watch_disconnect(receive: Receive, gone: asyncio.Event) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            gone.set()
            return


async def _send_simple(
    send: Send,
    status: int,
    ctype: bytes,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    out = [(k, v) for k, v in headers or [] if k != b"content-type"]
    out += [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def _content_type(name: str) -> bytes:
    if name.lower().endswith(".json"):
        return b"application/json"
    return b"application/octet-stream"


class RedirectEndpoint:
    """``/redirect/{token}/{name}``: a 307 to ``/files/{token}/{name}`` on ``files_base_url``.

    For redirect tests: with two ``SimServer`` on one world, that is the other server's origin.
    """

    def __init__(self, world: SimWorld) -> None:
        self.world = world

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        params = scope["path_params"]
        target = (
            f"{self.world.files_base_url.rstrip('/')}/files/{params['token']}/"
            f"{quote(params['name'], safe='')}"
        )
        record = FileRequestRecord(
            scope["method"],
            scope["path"],
            headers.get("range"),
            headers.get("if-range"),
            "x-api-key" in headers,
            307,
        )
        self.world.record_file_request(record, 0, cut=False)
        await _send_simple(send, 307, b"text/plain", b"", [(b"location", target.encode())])


async def sample_endpoint(request: Request) -> Response:
    """``/samples/{name}``: demo mode's sample inputs, for ``url`` mode submissions."""
    content = sample_bytes(request.path_params["name"])
    if content is None:
        return PlainTextResponse("Not Found", status_code=404)
    name = request.path_params["name"]
    return Response(content, media_type=_content_type(name).decode())


def create_files_app(world: SimWorld) -> Starlette:
    """The file origin's ASGI app, bound to ``world`` (the world issues the URLs)."""
    endpoint: Any = FileEndpoint(world)  # a class instance: Starlette treats it as raw ASGI
    redirect: Any = RedirectEndpoint(world)
    return Starlette(
        routes=[
            Route("/files/{token}/{name:path}", endpoint, methods=["GET"]),
            Route("/redirect/{token}/{name:path}", redirect, methods=["GET"]),
            Route("/samples/{name}", sample_endpoint, methods=["GET"]),
        ]
    )
