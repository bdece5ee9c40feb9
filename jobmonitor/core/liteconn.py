"""One kept-alive HTTP/1.1 connection of ``core/litehttp.py``: an asyncio protocol framed by h11.

The bytes move on a plain ``asyncio.Protocol`` (one per connection, no streams); what they mean
is h11's (python-hyper's sans-IO HTTP/1.1 state machine, the parser httpcore and uvicorn use):
the request's bytes come from ``h11.Connection.send``, the answer's head, 1xx answers, body
framing (length, chunks, the close), keep-alive and every malformation from ``next_event``.
So nothing here parses HTTP by hand: this file only waits, bounded, for the bytes h11 asks for.

h11's faults leave as httpx's (``RemoteProtocolError``), so they read the same as over httpx's
own transport. A head is refused once ``MAX_HEAD`` bytes of it came without its end (bytes are
handed to h11 ``FEED`` at a time, so no head over ``MAX_HEAD + FEED`` is ever accepted); every
wait for a byte is bounded by the read timeout; the body goes out in pieces as it arrives.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from typing import Protocol

import h11
import httpx

# an answer's head: more is a broken or hostile server (h11's default is 16 KiB, httpcore's 100)
MAX_HEAD = 64 * 1024
FEED = 64 * 1024  # bytes handed to h11 at once (what httpcore reads from its socket at once)
PAUSE_AT = 1024 * 1024  # stop reading from the socket while this much waits unread


class Stale(Exception):
    """The connection ended before a byte of an answer came (a kept-alive one the server closed)."""


class LiteConn(asyncio.Protocol):
    """One connection: received bytes wait in ``buf`` until the request reading them asks,
    then go to the connection's h11 state machine."""

    def __init__(self, context: ssl.SSLContext | None) -> None:
        self.buf = bytearray()
        self.h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        self.transport: asyncio.Transport | None = None
        self.eof = False
        self.closed = False
        self.context = context  # the trust it was verified with (None: plain HTTP)
        self.gone: asyncio.Future[None] | None = None
        self._fed = False  # a byte of the current answer went to h11
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False

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
        """Open, idle on both sides, and nothing unasked-for came (or waits in h11)."""
        return (
            not self.closed
            and not self.eof
            and not self.buf
            and self.h11.our_state is h11.IDLE
            and self.h11.their_state is h11.IDLE
            and not self.h11.trailing_data[0]
        )

    def send(self, request: h11.Request) -> None:
        """Write the request (a GET: its head and the end of it)."""
        try:
            data = self.h11.send(request) or b""
            data += self.h11.send(h11.EndOfMessage()) or b""
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from None
        self._fed = False
        assert self.transport is not None
        self.transport.write(data)

    async def event(self, wait: float | None) -> object:  # an h11.Event, or h11.PAUSED
        """The answer's next h11 event, waiting (``wait`` s at most per byte) for what it needs."""
        while True:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as exc:
                raise httpx.RemoteProtocolError(str(exc)) from None
            if event is not h11.NEED_DATA:
                return event
            if self.buf:
                self._fed = True
                piece = bytes(self.buf[:FEED])
                del self.buf[:FEED]
                self.h11.receive_data(piece)
            elif self.eof:
                if not self._fed:
                    raise Stale
                self.h11.receive_data(b"")  # h11 says what the close means (ends a body, or not)
            else:
                await self._more(wait)

    async def _more(self, wait: float | None) -> None:
        """Wait for more bytes (or the end); raises ReadTimeout after ``wait`` s of none."""
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

    async def head(self, wait: float | None) -> h11.Response:
        """The answer's head; informational 1xx answers before it are skipped."""
        while True:
            event = await self.event(wait)
            if isinstance(event, h11.Response):
                return event
            if not isinstance(event, h11.InformationalResponse):
                raise httpx.RemoteProtocolError(f"{type(event).__name__} instead of an answer")

    def reuse(self) -> bool:
        """After a whole answer: ready for the next request (False: it must be closed, e.g. the
        server said ``Connection: close`` or the body ran to the close)."""
        if self.h11.our_state is not h11.DONE or self.h11.their_state is not h11.DONE:
            return False
        self.h11.start_next_cycle()
        return self.usable

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class _Owner(Protocol):
    def keep(self, key: tuple[str, str, int], conn: LiteConn) -> None: ...
    def drop(self, conn: LiteConn) -> None: ...


class LiteBody(httpx.AsyncByteStream):
    """The answer's body in pieces as they come (h11's ``Data`` events, framed by h11); closing
    it gives the connection back to the pool if h11 says it can carry another request."""

    def __init__(
        self, owner: _Owner, key: tuple[str, str, int], conn: LiteConn, timeout: float | None
    ) -> None:
        self._owner = owner
        self._key = key
        self._conn: LiteConn | None = conn
        self._timeout = timeout
        self._done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        assert conn is not None, "the body was closed"
        while True:
            event = await conn.event(self._timeout)
            if isinstance(event, h11.Data):
                if event.data:
                    yield bytes(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break  # trailers, if any, are ignored
            else:
                raise httpx.RemoteProtocolError(f"{event!r} in the answer's body")
        self._done = True

    async def aclose(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        if self._done and conn.reuse():
            self._owner.keep(self._key, conn)
        else:
            self._owner.drop(conn)


__all__ = ["FEED", "MAX_HEAD", "LiteBody", "LiteConn", "Stale"]
