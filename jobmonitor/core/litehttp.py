"""A small HTTP/1.1 transport for httpx on plain asyncio protocols, for the many tiny status polls.

httpx's own transport (httpcore on anyio) cost about 2 ms of Python per status poll at 100,000
watched jobs: the connection pool's bookkeeping, anyio's stream attributes asked for every pooled
connection at every request, h11's event machinery, and under qasync a Qt timer for each of the
dozen asyncio callbacks of one request. A status answer is a few hundred bytes on a kept-alive
connection, so here one ``asyncio.Protocol`` per connection gathers the bytes, a request waits on
one future, and the head is parsed with a few regular expressions.

It is an ``httpx.AsyncBaseTransport``: the API client and its rules (``api/client.py``: the key
header per request, redirects by hand, bounded decoding and bodies, the total deadline, every
fault an ``ApiError``) are the same over it; only the bytes on the socket move here. Faults are
raised as the exceptions httpx's own transport raises (``ConnectError``, ``ReadTimeout``,
``RemoteProtocolError`` ...), so they read the same. A head is bounded (``MAX_HEAD``), every wait
for a byte by the read timeout, a connect by the connect timeout; a body is handed over in pieces
as it arrives (the caller caps it). Informational 1xx answers are skipped, as h11 does; a
kept-alive connection that the server closed before answering is replaced once.

httpx ignores the proxy environment when a transport is given, so ``core/http.py`` uses this
transport only when no proxy is configured.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import httpx

MAX_HEAD = 64 * 1024  # an answer's head; more is a broken or hostile server (h11 allows 16 KiB)
MAX_HEADERS = 200
MAX_CHUNK_LINE = 4096  # a chunk-size line, extensions included
KEEP_IDLE = 16  # kept-alive connections per origin (the scheduler keeps 16 polls in flight)
CLOSE_WAIT = 2.0  # seconds aclose waits for the sockets to be closed
PAUSE_AT = 1024 * 1024  # stop reading from the socket while this much waits unread

_STATUS = re.compile(rb"HTTP/1\.[01] ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_CHUNK = re.compile(rb"([0-9A-Fa-f]{1,16})[\t ]*(?:;[^\r\n]*)?")
_SEND_BAD = re.compile(r"[\x00\r\n]")
# sent as they are; anything else is encoded the way httpx would (httpx.URL)
_TARGET = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*")
_HOST = re.compile(r"[A-Za-z0-9\-._~%:\[\]]+")


class _Conn(asyncio.Protocol):
    """One connection: received bytes wait in ``buf`` until the request reading them asks."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.transport: asyncio.Transport | None = None
        self.eof = False
        self.lost: BaseException | None = None
        self.closed = False
        self.used = 0
        self.context: ssl.SSLContext | None = None  # the trust it was verified with
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False
        self.gone: asyncio.Future[None] | None = None

    # -- the protocol's callbacks ----------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.gone = asyncio.get_running_loop().create_future()  # done once the socket is

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) > PAUSE_AT and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.eof = True
        self.lost = exc
        self._wake()
        if self.gone is not None and not self.gone.done():
            self.gone.set_result(None)

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- the request's side ------------------------------------------------------------------
    @property
    def usable(self) -> bool:
        return not self.closed and not self.eof and not self.buf

    async def more(self, wait: float | None) -> None:
        """Wait for more bytes (or the end); raises ReadTimeout after ``timeout`` s of none."""
        if self.eof:
            return
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        waiter = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            async with asyncio.timeout(wait):
                await waiter
        except TimeoutError:
            raise httpx.ReadTimeout(f"no byte within {wait:g} s") from None
        finally:
            self._waiter = None

    def take(self, n: int) -> bytes:
        piece = bytes(self.buf[:n])
        del self.buf[:n]
        return piece

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class LiteRequest:
    """What ``LiteClient.build_request`` makes: the URL and every header to send."""

    __slots__ = ("headers", "method", "url")

    def __init__(self, method: str, url: str, headers: dict[str, str]) -> None:
        self.method = method
        self.url = url
        self.headers = headers


class LiteResponse:
    """The parts of an ``httpx.Response`` the status client reads; the body in raw pieces."""

    __slots__ = ("_body", "headers", "reason_phrase", "status_code")

    is_stream_consumed = False  # never read ahead: the caller reads (and bounds) the pieces

    def __init__(self, status: int, reason: bytes, headers: httpx.Headers, body: _Body) -> None:
        self.status_code = status
        self.reason_phrase = reason.decode("latin-1")
        self.headers = headers
        self._body = body

    @property
    def content(self) -> bytes:  # never read: is_stream_consumed is False
        raise httpx.ResponseNotRead()

    def aiter_raw(self) -> AsyncIterator[bytes]:
        return self._body.__aiter__()

    async def aclose(self) -> None:
        await self._body.aclose()


class LiteClient:
    """The two calls the status client makes of an ``httpx.AsyncClient`` (``build_request``,
    ``send``), without httpx's client layer: its cookie jar (a ``urllib`` request per answer),
    auth flow, event hooks and URL parsing were a millisecond a poll more than the transport."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | Callable[[], ssl.SSLContext],
        timeout: httpx.Timeout,
        headers: dict[str, str],
    ) -> None:
        self.transport = LiteTransport(verify=verify)
        self._read = timeout.read
        self._connect = timeout.connect
        self._defaults = headers

    def build_request(self, method: str, url: str, *, headers: dict[str, str]) -> LiteRequest:
        return LiteRequest(method, url, {**self._defaults, **headers})

    async def send(
        self, request: LiteRequest, *, stream: bool = True, follow_redirects: bool = False
    ) -> LiteResponse:
        if not stream or follow_redirects:
            raise ValueError("the lite client only streams, and never follows redirects")
        return await self.transport.get(request, connect=self._connect, read=self._read)

    async def aclose(self) -> None:
        await self.transport.aclose()


class LiteTransport:
    """See the module doc. ``verify``: the trust HTTPS servers are checked against."""

    def __init__(self, *, verify: ssl.SSLContext | Callable[[], ssl.SSLContext]) -> None:
        self._verify = verify
        self._idle: dict[tuple[str, str, int], list[_Conn]] = {}
        self._all: set[_Conn] = set()
        self._closing: set[asyncio.Future[None]] = set()
        self._closed = False
        self.connections_made = 0  # for tests and benchmarks

    async def get(
        self, request: LiteRequest, *, connect: float | None, read: float | None
    ) -> LiteResponse:
        if self._closed:
            raise httpx.ConnectError("the client is closed")
        key, head = _request_head(request)
        for attempt in (1, 2):
            conn = self._idle_conn(key)
            reused = conn is not None
            if conn is None:
                conn = await self._connect(key, connect)
            conn.used += 1
            try:
                assert conn.transport is not None
                conn.transport.write(head)
                status, reason, headers = await self._read_head(conn, read)
                body = _Body(self, key, conn, status, headers, read)
            except _Stale:
                self._drop(conn)
                if reused and attempt == 1:
                    continue  # the server had closed it while idle: once more, afresh
                raise httpx.RemoteProtocolError(
                    "server disconnected without sending a response"
                ) from None
            except BaseException:
                self._drop(conn)
                raise
            return LiteResponse(status, reason, httpx.Headers(headers), body)
        raise AssertionError("unreachable")  # pragma: no cover - returns or raises above

    def _context(self) -> ssl.SSLContext:
        return self._verify() if callable(self._verify) else self._verify

    def _idle_conn(self, key: tuple[str, str, int]) -> _Conn | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            # a connection verified with another trust than today's is not used again
            if conn.usable and (conn.context is None or conn.context is self._context()):
                return conn
            self._drop(conn)
        return None

    def _keep(self, key: tuple[str, str, int], conn: _Conn) -> None:
        idle = self._idle.setdefault(key, [])
        if self._closed or not conn.usable or len(idle) >= KEEP_IDLE:
            self._drop(conn)
        else:
            idle.append(conn)

    def _drop(self, conn: _Conn) -> None:
        conn.close()
        self._all.discard(conn)
        gone = conn.gone
        if gone is not None and not gone.done():  # aclose waits for it too
            self._closing.add(gone)
            gone.add_done_callback(self._closing.discard)

    async def _connect(self, key: tuple[str, str, int], wait: float | None) -> _Conn:
        scheme, host, port = key
        context: ssl.SSLContext | None = None
        if scheme == "https":
            context = self._context()
        loop = asyncio.get_running_loop()
        conn = _Conn()
        conn.context = context
        try:
            async with asyncio.timeout(wait):
                await loop.create_connection(
                    lambda: conn,
                    host,
                    port,
                    ssl=context,
                    server_hostname=host if context is not None else None,
                )
        except TimeoutError:
            conn.close()
            raise httpx.ConnectTimeout(f"no connection within {wait:g} s") from None
        except OSError as exc:  # refused, unreachable, a certificate refused (ssl.SSLError)
            conn.close()
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        self.connections_made += 1
        self._all.add(conn)
        return conn

    async def _read_head(
        self, conn: _Conn, wait: float | None
    ) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        start = 0
        while True:
            end = conn.buf.find(b"\r\n\r\n", start)
            if end < 0:
                if len(conn.buf) > MAX_HEAD:
                    raise httpx.RemoteProtocolError("the answer's head is too long")
                if conn.eof:
                    if not conn.buf:
                        raise _Stale
                    raise httpx.RemoteProtocolError("the connection ended in the answer's head")
                start = max(0, len(conn.buf) - 3)
                await conn.more(wait)
                continue
            if end > MAX_HEAD:
                raise httpx.RemoteProtocolError("the answer's head is too long")
            head = conn.take(end + 4)[:-4]
            status, reason, headers = _parse_head(head)
            if 100 <= status < 200 and status != 101:
                start = 0  # an informational answer: the real one follows
                continue
            if status < 200:
                raise httpx.RemoteProtocolError(f"unexpected informational answer {status}")
            return status, reason, headers

    def drop_connections(self) -> None:
        """Close every connection (the trust changed: new ones are verified with the new one);
        a request on one fails like a dropped connection."""
        for conn in list(self._all):
            self._drop(conn)
        self._idle.clear()

    async def aclose(self) -> None:
        """Close every connection, and wait (bounded) until their sockets are."""
        self._closed = True
        self.drop_connections()
        if self._closing:
            await asyncio.wait(list(self._closing), timeout=CLOSE_WAIT)


class _Stale(Exception):
    """The connection ended before a byte of an answer came."""


class _Body(httpx.AsyncByteStream):
    """The answer's body in pieces as they come, framed by its length, chunks or the close."""

    def __init__(
        self,
        owner: LiteTransport,
        key: tuple[str, str, int],
        conn: _Conn,
        status: int,
        headers: list[tuple[bytes, bytes]],
        timeout: float | None,
    ) -> None:
        self._owner = owner
        self._key = key
        self._conn = conn
        self._timeout = timeout
        self._done = False
        self._reusable = True
        names = {name.lower(): value for name, value in headers}
        codings = [
            c.strip().lower()
            for n, v in headers
            if n.lower() == b"transfer-encoding"
            for c in v.split(b",")
            if c.strip()
        ]
        lengths = {v.strip() for n, v in headers if n.lower() == b"content-length"}
        connection = names.get(b"connection", b"").lower()
        if b"close" in (t.strip() for t in connection.split(b",")):
            self._reusable = False
        self._chunked = False
        self._length: int | None = None
        if status in (204, 304):
            self._length = 0
        elif codings:
            if codings[-1] != b"chunked" or codings.count(b"chunked") > 1:
                raise httpx.RemoteProtocolError("a transfer coding that is not chunked")
            self._chunked = True
        elif lengths:
            value = lengths.pop()
            if lengths or not value.isdigit() or len(value) > 18:
                raise httpx.RemoteProtocolError("a Content-Length that does not parse")
            self._length = int(value)
        else:
            self._reusable = False  # the body ends when the server closes

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn, timeout = self._conn, self._timeout
        if self._chunked:
            async for piece in self._chunks():
                yield piece
        elif self._length is not None:
            left = self._length
            while left > 0:
                if not conn.buf:
                    if conn.eof:
                        self._reusable = False
                        raise httpx.RemoteProtocolError(
                            "peer closed connection without sending complete message body"
                        )
                    await conn.more(timeout)
                    continue
                piece = conn.take(left)
                left -= len(piece)
                yield piece
        else:
            while True:
                if conn.buf:
                    yield conn.take(len(conn.buf))
                elif conn.eof:
                    break
                else:
                    await conn.more(timeout)
        self._done = True

    async def _line(self) -> bytes:
        conn = self._conn
        while True:
            end = conn.buf.find(b"\r\n")
            if end >= 0:
                if end > MAX_CHUNK_LINE:
                    break
                return conn.take(end + 2)[:-2]
            if len(conn.buf) > MAX_CHUNK_LINE:
                break
            if conn.eof:
                raise httpx.RemoteProtocolError("the connection ended in a chunked body")
            await conn.more(self._timeout)
        raise httpx.RemoteProtocolError("a chunk line that is too long")

    async def _chunks(self) -> AsyncIterator[bytes]:
        conn = self._conn
        while True:
            match = _CHUNK.fullmatch(await self._line())
            if match is None:
                raise httpx.RemoteProtocolError("a chunk size that does not parse")
            size = int(match.group(1), 16)
            if size == 0:
                trailers = 0
                while await self._line():  # trailers, bounded, ignored
                    trailers += 1
                    if trailers > MAX_HEADERS:
                        raise httpx.RemoteProtocolError("too many trailer lines")
                return
            while size > 0:
                if not conn.buf:
                    if conn.eof:
                        raise httpx.RemoteProtocolError("the connection ended in a chunk")
                    await conn.more(self._timeout)
                    continue
                piece = conn.take(size)
                size -= len(piece)
                yield piece
            while len(conn.buf) < 2 and not conn.eof:
                await conn.more(self._timeout)
            if conn.take(2) != b"\r\n":
                raise httpx.RemoteProtocolError("a chunk not ended by CRLF")

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None  # type: ignore[assignment]
        if conn is None:
            return
        if self._done and self._reusable:
            self._owner._keep(self._key, conn)
        else:
            self._owner._drop(conn)


def _request_head(request: LiteRequest) -> tuple[tuple[str, str, int], bytes]:
    """The origin to send to and the request's bytes, the target as httpx would send it."""
    parts = urlsplit(request.url)
    scheme, host = parts.scheme, parts.hostname
    if scheme not in ("http", "https") or not host:
        raise httpx.UnsupportedProtocol(f"cannot send to {scheme!r} URLs")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise httpx.InvalidURL("a port that does not parse") from None
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    netloc = parts.netloc.rpartition("@")[2]
    if not _TARGET.fullmatch(target) or not _HOST.fullmatch(netloc):
        url = httpx.URL(request.url)  # percent-encoded and IDNA-encoded as httpx would
        target, netloc = url.raw_path.decode("ascii"), url.netloc.decode("ascii")
    lines = [f"{request.method} {target} HTTP/1.1", f"Host: {netloc}"]
    for name, value in request.headers.items():
        if _SEND_BAD.search(name) or _SEND_BAD.search(value) or not name:
            raise httpx.LocalProtocolError("a request header that cannot be sent")
        lines.append(f"{name}: {value}")
    if request.method != "GET":
        raise httpx.UnsupportedProtocol("only GET requests go this way")
    try:
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    except UnicodeEncodeError:
        raise httpx.LocalProtocolError("a request header that cannot be sent") from None
    return (scheme, host, port), head


def _parse_head(head: bytes) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
    lines = head.split(b"\r\n")
    status = _STATUS.fullmatch(lines[0])
    if status is None:
        raise httpx.RemoteProtocolError("not an HTTP/1.1 status line")
    if len(lines) - 1 > MAX_HEADERS:
        raise httpx.RemoteProtocolError("too many header lines")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        # a folded line starts with white space, so its "name" is no token either (h11 too)
        if not colon or _TOKEN.fullmatch(name) is None or _BAD_VALUE.search(value):
            raise httpx.RemoteProtocolError("a header line that does not parse")
        headers.append((name, value.strip(b" \t")))
    return int(status.group(1)), status.group(2) or b"", headers


__all__ = ["KEEP_IDLE", "MAX_HEAD", "LiteClient", "LiteResponse", "LiteTransport"]
