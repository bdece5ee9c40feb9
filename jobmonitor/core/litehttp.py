"""A small HTTP/1.1 transport for the many tiny status polls: asyncio protocols framed by h11.

httpx's own transport (httpcore on anyio) cost about 2 ms of Python per status poll at 100,000
watched jobs: the connection pool's bookkeeping, anyio's stream attributes asked for every pooled
connection at every request, and under qasync a Qt timer for each of the dozen asyncio callbacks
of one request. A status answer is a few hundred bytes on a kept-alive connection, so here one
``asyncio.Protocol`` per connection gathers the bytes and a request waits on one future; the
HTTP itself (request bytes, the answer's head and framing, keep-alive) is h11's, the sans-IO
parser httpcore uses too (``core/liteconn.py``), so nothing of HTTP is parsed by hand.

``LiteClient`` offers the two calls the API client makes (``build_request``, ``send``): its
rules (``api/client.py``: the key header per request, redirects by hand, bounded decoding and
bodies, the total deadline, every fault an ``ApiError``) are the same over it; only the bytes on
the socket move here. Faults are raised as the exceptions httpx's own transport raises
(``ConnectError``, ``ReadTimeout``, ``RemoteProtocolError`` ...), so they read the same. A head
is bounded (``liteconn.MAX_HEAD``), every wait for a byte by the read timeout, a connect by the
connect timeout; a body is handed over in pieces as it arrives (the caller caps it). A header
value h11 refuses (a line break, NUL) is never sent: ``LocalProtocolError``. A kept-alive
connection that the server closed before answering is replaced once.

httpx ignores the proxy environment when a transport is given, so ``core/http.py`` uses this
transport only when no proxy is configured.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import h11
import httpx

from jobmonitor.core.liteconn import MAX_HEAD, LiteBody, LiteConn, Stale

KEEP_IDLE = 16  # kept-alive connections per origin (the scheduler keeps 16 polls in flight)
CLOSE_WAIT = 2.0  # seconds aclose waits for the sockets to be closed

# sent as they are; anything else is encoded the way httpx would (httpx.URL)
_TARGET = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*")
_HOST = re.compile(r"[A-Za-z0-9\-._~%:\[\]]+")


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

    def __init__(self, status: int, reason: bytes, headers: httpx.Headers, body: LiteBody) -> None:
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
        self._idle: dict[tuple[str, str, int], list[LiteConn]] = {}
        self._all: set[LiteConn] = set()
        self._closing: set[asyncio.Future[None]] = set()
        self._closed = False
        self.connections_made = 0  # for tests and benchmarks

    async def get(
        self, request: LiteRequest, *, connect: float | None, read: float | None
    ) -> LiteResponse:
        if self._closed:
            raise httpx.ConnectError("the client is closed")
        key, message = _request(request)
        for attempt in (1, 2):
            conn = self._idle_conn(key)
            reused = conn is not None
            if conn is None:
                conn = await self._connect(key, connect)
            try:
                conn.send(message)
                head = await conn.head(read)
                body = LiteBody(self, key, conn, read)
            except Stale:
                self.drop(conn)
                if reused and attempt == 1:
                    continue  # the server had closed it while idle: once more, afresh
                raise httpx.RemoteProtocolError(
                    "server disconnected without sending a response"
                ) from None
            except BaseException:
                self.drop(conn)
                raise
            headers = httpx.Headers(list(head.headers.raw_items()))
            return LiteResponse(head.status_code, head.reason, headers, body)
        raise AssertionError("unreachable")  # pragma: no cover - returns or raises above

    def _context(self) -> ssl.SSLContext:
        return self._verify() if callable(self._verify) else self._verify

    def _idle_conn(self, key: tuple[str, str, int]) -> LiteConn | None:
        idle = self._idle.get(key)
        while idle:
            conn = idle.pop()
            # a connection verified with another trust than today's is not used again
            if conn.usable and (conn.context is None or conn.context is self._context()):
                return conn
            self.drop(conn)
        return None

    def keep(self, key: tuple[str, str, int], conn: LiteConn) -> None:
        """A connection whose answer was read whole and may carry another request."""
        idle = self._idle.setdefault(key, [])
        if self._closed or not conn.usable or len(idle) >= KEEP_IDLE:
            self.drop(conn)
        else:
            idle.append(conn)

    def drop(self, conn: LiteConn) -> None:
        conn.close()
        self._all.discard(conn)
        gone = conn.gone
        if gone is not None and not gone.done():  # aclose waits for it too
            self._closing.add(gone)
            gone.add_done_callback(self._closing.discard)

    async def _connect(self, key: tuple[str, str, int], wait: float | None) -> LiteConn:
        scheme, host, port = key
        context: ssl.SSLContext | None = None
        if scheme == "https":
            context = self._context()
        loop = asyncio.get_running_loop()
        conn = LiteConn(context)
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

    def drop_connections(self) -> None:
        """Close every connection (the trust changed: new ones are verified with the new one);
        a request on one fails like a dropped connection."""
        for conn in list(self._all):
            self.drop(conn)
        self._idle.clear()

    async def aclose(self) -> None:
        """Close every connection, and wait (bounded) until their sockets are."""
        self._closed = True
        self.drop_connections()
        if self._closing:
            await asyncio.wait(list(self._closing), timeout=CLOSE_WAIT)


def _request(request: LiteRequest) -> tuple[tuple[str, str, int], h11.Request]:
    """The origin to send to and the request as h11's event, the target as httpx would send it.
    h11 checks every header (a value with CR, LF or NUL is refused, never sent)."""
    parts = urlsplit(request.url)
    scheme, host = parts.scheme, parts.hostname
    if scheme not in ("http", "https") or not host:
        raise httpx.UnsupportedProtocol(f"cannot send to {scheme!r} URLs")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise httpx.InvalidURL("a port that does not parse") from None
    if request.method != "GET":
        raise httpx.UnsupportedProtocol("only GET requests go this way")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    netloc = parts.netloc.rpartition("@")[2]
    if not _TARGET.fullmatch(target) or not _HOST.fullmatch(netloc):
        url = httpx.URL(request.url)  # percent-encoded and IDNA-encoded as httpx would
        target, netloc = url.raw_path.decode("ascii"), url.netloc.decode("ascii")
    try:
        headers = [(b"Host", netloc.encode("ascii"))]
        headers += [(n.encode("latin-1"), v.encode("latin-1")) for n, v in request.headers.items()]
        message = h11.Request(method=b"GET", target=target.encode("ascii"), headers=headers)
    except (UnicodeEncodeError, h11.LocalProtocolError):
        raise httpx.LocalProtocolError("a request header that cannot be sent") from None
    return (scheme, host, port), message


__all__ = ["KEEP_IDLE", "MAX_HEAD", "LiteClient", "LiteResponse", "LiteTransport"]
