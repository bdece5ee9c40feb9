"""One request of a download: redirects by hand, the key only to the API origin, the body into
the ``.part`` (resumed with Range/If-Range when it has bytes), then the no-overwrite rename.

The download manager decides what happens after a ``Transient``, ``Refused`` or ``StartOver``.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from jobmonitor.api.decoding import DecodingFailed, encodings_of
from jobmonitor.api.errors import InsecureUrl
from jobmonitor.api.models import RateLimitInfo
from jobmonitor.api.urls import (
    check_url_security,
    origin_of,
    redirect_target,
    with_key,
)
from jobmonitor.core.downloads import partfile
from jobmonitor.core.downloads.body import body_chunks
from jobmonitor.core.downloads.filenames import choose_filename
from jobmonitor.core.downloads.model import (
    Download,
    DownloadError,
    DownloadState,
    describe_disk_error,
    describe_transport_error,
    human_size,
)
from jobmonitor.core.downloads.partfile import PartFile, PartMeta, PartOpener, PartWriter

MAX_REDIRECTS = 5  # more than the API allows (3): storage links may hop through a CDN
SOCKET_READ_SIZE = 1024 * 1024  # the most one read may take from httpcore
REFUSED_STATUSES = frozenset({401, 403, 404, 410})  # an expired or refused link: get a fresh one
# A file whose own name or type says gzip is kept as sent, as browsers do: the gzip on the wire
# is the file itself (decoding data.json.gz saved plain JSON under a .gz name).
GZIP_NAMES = (".gz", ".tgz", ".gzip", ".svgz")
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/x-tgz"})
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)", re.ASCII | re.IGNORECASE)


class Transient(Exception):
    """Worth another try later (network fault, 5xx, 429, a body cut short)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Refused(Exception):
    """The file host refused the link (expired, forbidden, gone): a fresh URL may work."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class StartOver(Exception):
    """The saved part cannot be continued (the file changed): download it again from byte 0."""


class Transfer:
    """Performs attempts for the manager; ``report`` and ``tick`` tell it about progress."""

    def __init__(
        self,
        *,
        http_for: Callable[[str], httpx.AsyncClient],
        api_origin: str,
        api_key: Callable[[], str | None],
        open_part: PartOpener,
        write_size: int,
        report: Callable[[Download, DownloadState, str], None],
        tick: Callable[[Download], None],
    ) -> None:
        self._http_for = http_for
        self.api_origin = origin_of(api_origin)  # the manager changes it with the API
        self._api_key = api_key
        self._open_part = open_part
        self._write_size = write_size
        self._report = report
        self._tick = tick

    async def attempt(self, dl: Download) -> None:
        """One request, streamed into the .part. Redirects are followed by hand so that each
        hop is checked (HTTPS or loopback) and gets the key only on the API's origin."""
        url = dl.url
        for _ in range(MAX_REDIRECTS + 1):
            if not _parses(url):  # never worth a retry: it will not parse next time either
                raise DownloadError(
                    f"The file server sent an address that is not a valid address: {url[:100]!r}"
                )
            try:
                check_url_security(url)
            except InsecureUrl:
                host = urlsplit(url).hostname or url
                raise DownloadError(
                    f"Refusing to download from {host} over plain http://: only HTTPS is "
                    "allowed (plain http only for this computer)."
                ) from None
            offset = 0
            if dl.name is not None and dl.owns_part and not dl.restart:
                try:
                    offset = await asyncio.to_thread(partfile.part_size, dl.folder, dl.name)
                except OSError as exc:
                    raise DownloadError(describe_disk_error(exc, dl)) from None
            http = self._http_for(url)
            request = http.build_request("GET", url, headers=self._headers(url, dl, offset))
            try:
                response = await http.send(request, stream=True, follow_redirects=False)
            except httpx.RemoteProtocolError as exc:
                if "location header" in str(exc).lower():  # httpx's word for a broken redirect
                    raise DownloadError(
                        "The file server redirected to an address that is not a valid address."
                    ) from None
                raise Transient(describe_transport_error(exc)) from None
            except httpx.TransportError as exc:
                raise Transient(describe_transport_error(exc)) from None
            try:
                try:
                    target = redirect_target(
                        url, response.status_code, response.headers.get("location")
                    )
                except ValueError:  # no Location; or one that does not parse (http://[::1)
                    raise DownloadError(
                        "The file server redirected to something that is not a valid address."
                    ) from None
                if target is not None:  # any origin, each hop checked above; key as with_key says
                    url = target
                    continue
                try:
                    await self._receive(dl, response, offset)
                except OSError as exc:
                    if dl.name is not None:  # say what is on disk, not what was received
                        with contextlib.suppress(OSError, ValueError):
                            dl.received = await asyncio.to_thread(
                                partfile.part_size, dl.folder, dl.name
                            )
                    raise DownloadError(describe_disk_error(exc, dl)) from None
                except DecodingFailed as exc:
                    raise DownloadError(
                        f"The file server sent a file that cannot be read: {exc}."
                    ) from None
                return
            finally:
                await response.aclose()
        raise DownloadError("The file server redirected too many times.")

    def _headers(self, url: str, dl: Download, offset: int) -> dict[str, str]:
        # identity: Range and Content-Length then count the bytes that land on disk.
        headers = with_key({"accept-encoding": "identity"}, url, self.api_origin, self._api_key())
        if offset > 0:
            headers["range"] = f"bytes={offset}-"
            meta = dl.meta
            if meta is not None and meta.etag and not meta.etag.startswith("W/"):
                headers["if-range"] = meta.etag  # If-Range needs a strong validator
            elif meta is not None and meta.last_modified:
                headers["if-range"] = meta.last_modified
        return headers

    async def _receive(self, dl: Download, response: httpx.Response, offset: int) -> None:
        status = response.status_code
        if status in REFUSED_STATUSES:
            raise Refused(status)
        if status == 416 and offset > 0:
            _start, total = content_range(response.headers.get("content-range"))
            if total is not None and total == offset:  # the .part already holds every byte
                dl.received = dl.total = total
                await self._publish(dl)
                return
            raise StartOver("the part saved earlier no longer fits the file")
        if status in (408, 425, 429) or status >= 500:
            retry_after = None
            info = RateLimitInfo.from_headers(response.headers, now=time.time())
            if info is not None:
                retry_after = info.retry_after
            raise Transient(f"The file server answered HTTP {status}", retry_after)
        if status not in (200, 206):
            raise DownloadError(f"The file server answered HTTP {status}; nothing was saved.")

        length = int_header(response.headers.get("content-length"))
        if status == 206 and offset > 0:
            start, total = content_range(response.headers.get("content-range"))
            if _decodes(dl.name, response):  # the .part holds decoded bytes: not these
                raise StartOver("the server compressed the rest of the file")
            if validator_changed(dl.meta, response.headers):  # half one file, half another
                raise StartOver("the file changed on the server")
            if start != offset:
                raise StartOver("the server sent a different part of the file")
            if dl.total is not None and total is not None and total != dl.total:
                raise StartOver("the file on the server changed size")
            total = total if total is not None else dl.total
        else:  # the whole file: a 200, also the answer to a Range request whose If-Range failed
            if dl.name is None:
                dl.name = choose_filename(
                    str(response.url),
                    response.headers.get("content-disposition"),
                    fallback=f"result-{dl.job_id}",
                )
            total = None if _decodes(dl.name, response) else length
            if status == 206:
                start, total = content_range(response.headers.get("content-range"))
                if start != 0:
                    raise DownloadError("The file server sent part of the file unasked.")
            offset = 0
            dl.meta = PartMeta(
                dl.job_id,
                dl.name,
                response.headers.get("etag"),
                response.headers.get("last-modified"),
                total,
            )
        encoded = _decodes(dl.name, response)
        part = await self._open(dl, create=offset == 0, offset=offset)
        dl.restart = False
        dl.total = total
        dl.received = offset
        dl.speed.reset()
        self._report(dl, DownloadState.SAVING, f"Saving to {dl.name}.part")
        expected = None if encoded or length is None else length
        await self._stream(dl, response, part, expected, encoded)
        await self._publish(dl)

    async def _open(self, dl: Download, *, create: bool, offset: int) -> PartFile:
        """Open the .part: a fresh one reserves a free name (never an existing file's)."""
        assert dl.name is not None and dl.meta is not None
        path = partfile.part_path(dl.folder, dl.name)
        if dl.owns_part and create and not await asyncio.to_thread(path.exists):
            dl.owns_part = False  # its own .part was deleted meanwhile: reserve a name again
        if not dl.owns_part:
            # A fresh download takes a name no file or .part has (exclusive create): never
            # another download's .part, nor a file of the user's that ends in .part.
            name, part = await asyncio.to_thread(
                partfile.reserve_part, dl.folder, dl.name, self._open_part
            )
            dl.name = dl.meta.name = name
            dl.owns_part = True
        else:
            part = await asyncio.to_thread(
                self._open_part, path, create=False, offset=0 if create else offset
            )
        await asyncio.to_thread(partfile.save_meta, dl.folder, dl.meta)
        return part

    async def _stream(
        self,
        dl: Download,
        response: httpx.Response,
        part: PartFile,
        expected: int | None,
        encoded: bool,
    ) -> None:
        size = self._write_size
        if dl.total is not None:  # a small file does not need big buffers
            size = max(min(size, dl.total - dl.received), 64 * 1024)
        writer = PartWriter(part, size)
        got = 0
        try:
            body = body_chunks(response, decode=encoded)
            try:
                # aclosing: whatever stops the loop, the body's clean-up runs in this task
                async with contextlib.aclosing(body) as chunks:
                    async for chunk in chunks:
                        await writer.feed(chunk)
                        got += len(chunk)
                        dl.received += len(chunk)
                        self._tick(dl)
            except httpx.TransportError as exc:
                await writer.flush()  # keep every byte that arrived: the resume starts after it
                raise Transient(describe_transport_error(exc)) from None
            await writer.flush()
            if expected is not None and got != expected:
                raise Transient(
                    f"The connection ended after {human_size(dl.received)} of "
                    f"{human_size(dl.received - got + expected)}"
                )
            if dl.total is not None and dl.received != dl.total:
                raise Transient(
                    f"The connection ended after {human_size(dl.received)} of "
                    f"{human_size(dl.total)}"
                )
            self._report(dl, DownloadState.SAVING, "Writing to disk…")
            await writer.sync()
        finally:
            await writer.close()

    async def _publish(self, dl: Download) -> None:
        assert dl.name is not None
        path = await asyncio.to_thread(partfile.publish, dl.folder, dl.name)
        dl.path = path
        self._report(dl, DownloadState.DONE, f"Saved as {path.name}")


def _decodes(name: str | None, response: httpx.Response) -> bool:
    """Whether the body is to be decoded before it is saved (see ``GZIP_NAMES``)."""
    codings = encodings_of(response.headers.get("content-encoding"))
    if not codings:
        return False
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    gzip_file = (name or "").lower().endswith(GZIP_NAMES) or ctype in GZIP_TYPES
    return not (gzip_file and codings in (["gzip"], ["x-gzip"]))


def validator_changed(meta: PartMeta | None, headers: httpx.Headers) -> bool:
    """Whether a 206 names another version of the file than the one the .part holds: its ETag
    (or Last-Modified, when that was the If-Range) differs from the one asked for. A server
    that ignores If-Range sends the new version's rest; spliced on, it made a file half A, half
    B that was reported complete."""
    if meta is None:
        return False
    if meta.etag and not meta.etag.startswith("W/"):
        sent = headers.get("etag")
        return sent is not None and sent.strip() != meta.etag
    if meta.last_modified:
        sent = headers.get("last-modified")
        return sent is not None and sent.strip() != meta.last_modified
    return False


def _parses(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - a port of 99999 raises here
    except ValueError:
        return False
    return bool(parts.scheme and parts.hostname)


def int_header(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


def content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/1000`` -> (100, 1000); ``bytes */1000`` -> (None, 1000)."""
    match = _CONTENT_RANGE.fullmatch((value or "").strip())
    if match is None:
        return None, None
    start = int(match.group(1)) if match.group(1) is not None else None
    total = int(match.group(3)) if match.group(3) != "*" else None
    return start, total
