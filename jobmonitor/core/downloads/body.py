"""A download's body, read straight from the connection when its framing allows it.

Through httpx every piece of a body passes anyio, httpcore, h11 (which copies it into its
buffer and slices it out again, twice) and httpx's own iterators: on loopback that capped a
1 GiB download at about half of what the socket delivers (tests/benchmarks/bench_download.py:
0.50 s against 0.23 s for plain socket reads, before a byte reaches the disk).

For the common case, a plain HTTP/1.1 body of known length (Content-Length, no
Transfer-Encoding, no Content-Encoding), the bytes after the first piece are read from the
response's ``network_stream`` (an extension httpx and httpcore document for reading and writing
the connection directly), each read capped at the bytes still due, so nothing of a following
message is ever taken. The first piece still comes through httpx: h11 hands over, as one piece,
everything it read along with the headers, so after it the connection holds exactly the rest of
the body. httpcore sees an unfinished response when the caller closes it and closes the
connection rather than reuse it, which is what it does for any body left unread; the response is
closed when the body ends (or fails), since httpx's own iterator is left unfinished.

A body shorter than ``DIRECT_MIN`` and everything else (chunked, compressed, unknown length,
HTTP/2, a transport without a network stream such as httpx.ASGITransport) takes httpx's own
raw iterator. Read failures are raised as
the httpx errors the same failure raises there.

A compressed body is decoded here, not by httpx, with ``api/decoding.py``'s bounded decoder:
httpx inflates each chunk whole, and a ``gzip, gzip`` file of 6.7 KB became 8.4 GB in memory
at once. Each decoded piece is at most ``DECODED_PIECE`` bytes, so memory stays flat.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator

import httpcore
import httpx

from jobmonitor.api.decoding import BoundedDecoder

READ_SIZE = 1024 * 1024  # the most one read asks for (asyncio hands over 256 KiB at a time)
# A shorter body goes through httpx, which then keeps the connection for the next request: a
# direct read costs a connection (a connect and a close per file), which for many small files
# (Download all of 1,000 files of 100 KB) cost more than h11's copies save.
DIRECT_MIN = 1024 * 1024
DECODED_PIECE = 1024 * 1024  # the most one inflate step of a compressed body hands over


def direct_length(response: httpx.Response) -> int | None:
    """The body length when the rest of the body may be read from the connection, else None."""
    headers = response.headers
    if response.http_version != "HTTP/1.1" or "transfer-encoding" in headers:
        return None
    if headers.get("content-encoding", "identity").strip().lower() != "identity":
        return None
    if response.request.method == "HEAD" or response.status_code not in (200, 206):
        return None
    length = headers.get("content-length", "").strip()
    if (
        not length.isdigit()
        or int(length) < DIRECT_MIN
        or not isinstance(response.extensions.get("network_stream"), httpcore.AsyncNetworkStream)
    ):
        return None
    return int(length)


async def body_chunks(
    response: httpx.Response, *, decode: bool = False, read_size: int = READ_SIZE
) -> AsyncGenerator[bytes, None]:
    """The body of a streamed response, piece by piece: raw, or decoded (``decode``) when the
    server compressed it (``DecodingFailed`` when it cannot be). It ends early if the server
    closes the connection early (the caller compares the count with the length). Close it
    (``contextlib.aclosing``)."""
    chunks = response.aiter_raw()
    if decode:
        decoder = BoundedDecoder(response.headers.get("content-encoding"), piece=DECODED_PIECE)
        async for raw in chunks:
            for piece in decoder.feed(raw):
                yield piece
        return
    length = direct_length(response)
    if length is None:
        async for chunk in chunks:
            yield chunk
        return
    got = 0
    try:
        async for chunk in chunks:  # the first piece: all that h11 holds, or one read
            got += len(chunk)
            yield chunk
            break
        stream: httpcore.AsyncNetworkStream = response.extensions["network_stream"]
        timeouts = response.request.extensions.get("timeout", {})
        timeout = timeouts.get("read") if isinstance(timeouts, dict) else None
        while got < length:
            try:
                data = await stream.read(min(read_size, length - got), timeout)
            except httpcore.TimeoutException as exc:
                raise httpx.ReadTimeout(str(exc), request=response.request) from exc
            except httpcore.NetworkError as exc:
                raise httpx.ReadError(str(exc), request=response.request) from exc
            if not data:
                return
            got += len(data)
            yield data
    finally:
        # httpx's iterator is left unfinished. Close the response here, in this task (also when
        # cancelled): otherwise the garbage collector's clean-up of that iterator would have
        # httpcore release the connection from a task of its own, which anyio refuses.
        await response.aclose()
