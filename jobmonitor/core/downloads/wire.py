"""One small result file over a kept-alive HTTP/1.1 connection on a worker thread: a GET, and an
answer read whole when it is the plainest kind (200, a Content-Length, no transfer or content
coding). Used by the quick lane (``quick.py``) for Download all's many small files.

Through httpx on the event loop each file of Download all cost about 7 ms of the loop's CPU
(httpcore, anyio, h11, and a Qt timer per asyncio callback under qasync), against curl's 0.3 ms;
a blocking socket on a thread costs a tenth of that and none of it on the GUI thread.

This module reads only what it fully understands and refuses everything else with ``NotQuick``:
a redirect, an error status, a 206, chunked or compressed bodies, a missing, repeated or too big
Content-Length, a header line that does not parse, bare line feeds, a body shorter or longer
than its length, a timeout. The download then goes the general way (``transfer.py``), where
every rule lives (redirect hops, refreshed links, Range, decoding, retries): what this file
must get right is small. It never reads past the answer it was given, never waits longer than
``read_timeout`` for a byte nor past ``deadline`` for the whole, and reads at most
``MAX_HEAD`` bytes of head and ``max_body`` bytes of body.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

MAX_HEAD = 64 * 1024  # as the hostile-answer tests' server and h11 bound a head
MAX_HEADERS = 100
READ_SIZE = 256 * 1024
_STATUS = re.compile(rb"HTTP/1\.1 ([1-5][0-9][0-9])(?: [\t\x20-\x7e\x80-\xff]*)?")
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]{1,12}")
# The request target is sent as given, so only characters every server and httpx agree on
# (httpx would percent-encode others: such a URL goes the general way).
_TARGET = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*")
_HOST = re.compile(r"[A-Za-z0-9\-._~%:\[\]]+")
_FIELD = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+: [\x21-\x7e]([\t\x20-\x7e]*[\x21-\x7e])?")
# A second copy of one of these changes what the answer means: never guess which one counts.
_SINGLE = frozenset(
    {
        "content-length",
        "transfer-encoding",
        "content-encoding",
        "content-disposition",
        "content-range",
        "etag",
        "last-modified",
        "location",
    }
)


class NotQuick(Exception):
    """Not for the quick lane: the download goes the general way. ``str()`` says why."""


class Stale(NotQuick):
    """A kept-alive connection the server had closed meanwhile (nothing of an answer came)."""


@dataclass(frozen=True, slots=True)
class Answer:
    headers: dict[str, str]  # names lower-cased
    body: bytearray


def request_target(path: str, query: str) -> str | None:
    """What follows ``GET`` for a URL's path and query, or None when it is not sent as is."""
    target = (path or "/") + (f"?{query}" if query else "")
    return target if _TARGET.fullmatch(target) else None


def host_header(netloc: str) -> str | None:
    return netloc if _HOST.fullmatch(netloc) else None


class Connection:
    """A connection to one origin, used by one thread; ``interrupt`` may come from another."""

    def __init__(self, sock: socket.socket, host: str, context: ssl.SSLContext | None) -> None:
        self.sock = sock
        self.host = host  # the Host header
        self.context = context  # the trust it was verified with (None: plain http)
        self.reusable = True
        self.used = 0
        self._timeout: float | None = None  # the socket's, as last set

    @classmethod
    def open(
        cls,
        host: str,
        port: int,
        host_header: str,
        *,
        context: ssl.SSLContext | None,
        timeout: float,
    ) -> Connection:
        """Connect (and for https, handshake and verify) within ``timeout``; raises OSError."""
        sock = socket.create_connection((host, port), timeout=timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if context is not None:
                sock = context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        return cls(sock, host_header, context)

    def close(self) -> None:
        self.reusable = False
        self.sock.close()

    def interrupt(self) -> None:
        """Wake a read blocked in another thread (a cancel): it fails at once."""
        self.reusable = False
        with contextlib.suppress(OSError):  # closed already
            self.sock.shutdown(socket.SHUT_RDWR)

    def get(
        self,
        target: str,
        headers: dict[str, str],
        *,
        max_body: int,
        read_timeout: float,
        deadline: float,
        received: Callable[[int], None] = lambda _n: None,
    ) -> Answer:
        """GET ``target``; the answer when it is a plain 200 of at most ``max_body`` bytes.

        Raises ``NotQuick`` (``Stale`` for a kept connection found closed) or OSError; after
        either the connection is not to be used again.
        """
        reused = self.used > 0
        self.used += 1
        lines = [f"GET {target} HTTP/1.1", f"Host: {self.host}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        if not all(_FIELD.fullmatch(line) for line in lines[2:]):  # never a line break sent
            raise NotQuick("a request header that cannot be sent as is")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        try:
            self._wait(read_timeout, deadline)
            self.sock.sendall(request)
            head, rest = self._head(read_timeout, deadline)
        except (ConnectionResetError, BrokenPipeError, Stale) as exc:
            if reused:  # worth one more try on a new connection: nothing of an answer came
                raise Stale(f"the kept connection was closed ({type(exc).__name__})") from None
            raise NotQuick(f"the connection was closed before an answer ({exc})") from None
        fields = _parse_head(head)
        length = _plain_length(fields, max_body)
        if len(rest) > length:
            raise NotQuick("the answer is longer than its Content-Length")
        body = bytearray(length)
        view = memoryview(body)
        got = len(rest)
        view[:got] = rest
        while got < length:
            self._wait(read_timeout, deadline)
            try:
                n = self.sock.recv_into(view[got:], min(length - got, READ_SIZE))
            except TimeoutError:
                _late(deadline)
                raise NotQuick(f"no byte for {read_timeout:g} s after {got} bytes") from None
            if n == 0:
                raise NotQuick(f"the connection ended after {got} of {length} bytes")
            got += n
            received(got)
        if self._more_waiting():
            raise NotQuick("the answer is longer than its Content-Length")
        connection = fields.get("connection", "").lower()
        if "close" in (token.strip() for token in connection.split(",")):
            self.reusable = False
        return Answer(fields, body)

    def _wait(self, read_timeout: float, deadline: float) -> None:
        _late(deadline)
        timeout = max(0.001, min(read_timeout, deadline - time.monotonic()))
        # Set only when it changes (near the deadline): each settimeout is a system call, one
        # more moment the worker lets go of the GIL and has to wait to get it back.
        if timeout != self._timeout:
            self.sock.settimeout(timeout)
            self._timeout = timeout

    def _head(self, read_timeout: float, deadline: float) -> tuple[bytes, bytes]:
        buffer = bytearray()
        while True:
            self._wait(read_timeout, deadline)
            try:
                chunk = self.sock.recv(READ_SIZE)
            except TimeoutError:
                _late(deadline)
                raise NotQuick(f"no answer within {read_timeout:g} s") from None
            if not chunk:
                if not buffer:
                    raise Stale("the server closed the connection without answering")
                raise NotQuick("the connection ended in the answer's head")
            start = max(0, len(buffer) - 3)
            buffer += chunk
            end = buffer.find(b"\r\n\r\n", start)
            if end >= 0:
                return bytes(buffer[:end]), bytes(buffer[end + 4 :])
            if b"\n\n" in buffer or len(buffer) > MAX_HEAD:
                raise NotQuick("an answer head that does not parse")

    def _more_waiting(self) -> bool:
        """Bytes already after the body: the server sent more than it said."""
        sock = self.sock
        if isinstance(sock, ssl.SSLSocket):
            # Only decrypted bytes count: a TLS 1.3 session ticket may be waiting, no data.
            return sock.pending() > 0
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return False
            more = sock.recv(1, socket.MSG_PEEK)
        except OSError:
            self.reusable = False
            return False
        if not more:  # the server closed after the answer: fine, but not for another
            self.reusable = False
        return bool(more)


def _late(deadline: float) -> None:
    if time.monotonic() >= deadline:
        raise NotQuick("the file took too long")


def _parse_head(head: bytes) -> dict[str, str]:
    lines = head.split(b"\r\n")
    status = _STATUS.fullmatch(lines[0])
    if status is None:
        raise NotQuick("not an HTTP/1.1 status line")
    code = int(status.group(1))
    if code != 200:  # 1xx, a redirect, 206, an error: all for the general way
        raise NotQuick(f"HTTP {code}")
    if len(lines) - 1 > MAX_HEADERS:
        raise NotQuick("too many header lines")
    fields: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        # a folded line starts with a space, so its "name" is no token either
        if not colon or _TOKEN.fullmatch(name) is None or _BAD_VALUE.search(value):
            raise NotQuick("a header line that does not parse")
        key = name.decode("ascii").lower()
        text = value.strip(b" \t").decode("latin-1")
        if key in fields:
            if key in _SINGLE:
                raise NotQuick(f"{key} sent twice")
            fields[key] += ", " + text
        else:
            fields[key] = text
    return fields


def _plain_length(fields: dict[str, str], max_body: int) -> int:
    if "transfer-encoding" in fields:
        raise NotQuick("a transfer coding")
    if fields.get("content-encoding", "identity").strip().lower() != "identity":
        raise NotQuick("a compressed body")
    value = fields.get("content-length")
    if value is None or _DIGITS.fullmatch(value) is None:
        raise NotQuick("no usable Content-Length")
    length = int(value)
    if length > max_body:
        raise NotQuick("too big for the quick lane")
    return length
