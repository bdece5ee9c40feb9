"""One request of a download: redirects by hand, the key only to the API origin, the body into
the ``.part`` (resumed with Range/If-Range when it has bytes), then the no-overwrite rename.

The download manager decides what happens after a ``Transient``, ``Refused`` or ``StartOver``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from jobmonitor.api.decoding import DecodingFailed
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
from jobmonitor.core.downloads.headers import (
    content_range,
    decodes,
    int_header,
    parses,
    validator_changed,
)
from jobmonitor.core.downloads.model import (
    Download,
    DownloadError,
    DownloadState,
    describe_disk_error,
    describe_transport_error,
    human_size,
)
from jobmonitor.core.downloads.partfile import PartFile, PartMeta, PartOpener
from jobmonitor.core.downloads.writer import Lane, PartWriter, on_disk

MAX_REDIRECTS = 5  # more than the API allows (3): storage links may hop through a CDN
SOCKET_READ_SIZE = 1024 * 1024  # the most one read may take from httpcore
# A file this small is held in memory until it is complete and then saved in one step for the
# disk (create, write, fsync, rename): Download all of 1,000 files of 100 KB paid for
# a resume record and four hops to the disk per file, for files no resume would save time on.
WHOLE_MAX = 1024 * 1024
LONG_SYNC = 16 * 1024 * 1024  # from this size on, the final fsync is worth a word to the user
REFUSED_STATUSES = frozenset({401, 403, 404, 410})  # an expired or refused link: get a fresh one


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
        received: Callable[[Download], None] = lambda _dl: None,
    ) -> None:
        self._http_for = http_for
        self.api_origin = origin_of(api_origin)  # the manager changes it with the API
        self._api_key = api_key
        self._open_part = open_part
        self._write_size = write_size
        self._report = report
        self._tick = tick
        self._received = received  # the body is complete: only the disk's last steps are left

    async def attempt(self, dl: Download) -> None:
        """One request, streamed into the .part. Redirects are followed by hand so that each
        hop is checked (HTTPS or loopback) and gets the key only on the API's origin."""
        url = dl.url
        for _ in range(MAX_REDIRECTS + 1):
            if not parses(url):  # never worth a retry: it will not parse next time either
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
                    offset = await on_disk(partfile.part_size, dl.folder, dl.name)
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
                            dl.received = await on_disk(partfile.part_size, dl.folder, dl.name)
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
            if decodes(dl.name, response):  # the .part holds decoded bytes: not these
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
            total = None if decodes(dl.name, response) else length
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
        encoded = decodes(dl.name, response)
        small = total is not None and total <= WHOLE_MAX
        if small and offset == 0 and not encoded and not dl.owns_part and total is not None:
            await self._whole(dl, response, total)
            return
        lane = Lane()  # every file step of this attempt, in order
        part = await self._open(dl, lane, create=offset == 0, offset=offset)
        dl.restart = False
        dl.total = total
        dl.received = offset
        dl.speed.reset()
        self._report(dl, DownloadState.SAVING, f"Saving to {dl.name}.part")
        expected = None if encoded or length is None else length
        await self._stream(dl, response, part, lane, expected, encoded)

    async def _open(self, dl: Download, lane: Lane, *, create: bool, offset: int) -> PartFile:
        """Open the .part: a fresh one reserves a free name (never an existing file's)."""
        assert dl.name is not None and dl.meta is not None
        part = await lane.run(
            functools.partial(
                partfile.open_for_download,
                dl.folder,
                dl.meta,
                owns_part=dl.owns_part,
                create=create,
                offset=offset,
                opener=self._open_part,
            )
        )
        dl.name = dl.meta.name
        dl.owns_part = True
        return part

    async def _stream(
        self,
        dl: Download,
        response: httpx.Response,
        part: PartFile,
        lane: Lane,
        expected: int | None,
        encoded: bool,
    ) -> None:
        size = self._write_size
        if dl.total is not None:  # a small file does not need big buffers
            size = max(min(size, dl.total - dl.received), 64 * 1024)
        writer = PartWriter(part, size, lane)
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
            short = None
            if expected is not None and got != expected:
                short = f"{human_size(dl.received - got + expected)}"
            elif dl.total is not None and dl.received != dl.total:
                short = human_size(dl.total)
            if short is not None:
                await writer.flush()  # what arrived is kept (or its write error raised)
                raise Transient(f"The connection ended after {human_size(dl.received)} of {short}")
            self._received(dl)
            if dl.received >= LONG_SYNC:  # a big file's fsync may take a while: say so
                self._report(dl, DownloadState.SAVING, "Writing to disk…")
            assert dl.name is not None
            path = await writer.finish(functools.partial(partfile.publish, dl.folder, dl.name))
        finally:
            await writer.close()
        dl.path = path
        self._report(dl, DownloadState.DONE, f"Saved as {path.name}")

    async def _whole(self, dl: Download, response: httpx.Response, total: int) -> None:
        """A small file of known length: received into memory, then saved in one step. A body
        cut short (or a cancel) leaves what arrived in a .part with its record, as a streamed
        download does, so the next attempt resumes it."""
        assert dl.name is not None
        dl.restart = False
        dl.total = total
        dl.received = 0
        dl.speed.reset()
        self._report(dl, DownloadState.SAVING, f"Saving to {dl.name}")
        data = bytearray()
        complete = False
        try:
            try:
                async with contextlib.aclosing(body_chunks(response)) as chunks:
                    async for chunk in chunks:
                        data += chunk
                        dl.received += len(chunk)
                        self._tick(dl)
                        if len(data) > total:
                            break
            except httpx.TransportError as exc:
                raise Transient(describe_transport_error(exc)) from None
            if len(data) != total:
                raise Transient(
                    f"The connection ended after {human_size(dl.received)} of {human_size(total)}"
                )
            complete = True
        finally:
            if not complete and 0 < len(data) <= total:
                await asyncio.shield(self._keep(dl, bytes(data)))
        self._received(dl)
        dl.name, path = await on_disk(
            partfile.save_whole, dl.folder, dl.name, bytes(data), self._open_part
        )
        dl.path = path
        self._report(dl, DownloadState.DONE, f"Saved as {path.name}")

    async def _keep(self, dl: Download, data: bytes) -> None:
        """What arrived of a small file, into its .part (with its record) for a resume."""
        lane = Lane()
        part = await self._open(dl, lane, create=True, offset=0)

        def write_and_close() -> None:
            try:
                part.write(data)
            finally:
                part.close()

        await lane.run(write_and_close)

    async def _publish(self, dl: Download) -> None:
        assert dl.name is not None
        path = await on_disk(partfile.publish, dl.folder, dl.name)
        dl.path = path
        self._report(dl, DownloadState.DONE, f"Saved as {path.name}")
