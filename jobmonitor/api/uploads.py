"""Client of the upload API: ask for an upload, POST the file to storage, list, delete.

``POST /upload-api`` hands back a presigned POST for an S3 bucket (another origin). The file goes
there as ``multipart/form-data`` with every returned field and then the file, streamed from disk
in pieces (never read whole), with progress and cancel; the policy is the credential, so the API
key never goes to the storage origin. A file that shrinks, grows or vanishes while it is sent
aborts the POST before its closing boundary, so storage keeps nothing half-written.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import unicodedata
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import httpx

from jobmonitor.api.errors import (
    ApiError,
    BadResponse,
    Cancelled,
    InsecureUrl,
    InvalidInput,
    UploadNotFound,
)
from jobmonitor.api.urls import check_url_security, normalize_base_url, origin_of
from jobmonitor.api.wire import exchange, raise_for_answer, storage_error, transport_error

# The provider's rule: letters and digits with optional _ or -, one dot, one of these extensions.
UPLOAD_EXTENSIONS = (
    "json", "csv", "xml", "txt", "yml", "yaml", "html", "md", "js", "css",
    "xls", "xlsx", "jpg", "jpeg", "png", "gif", "webp", "sql", "log",
)  # fmt: skip
NAME_RE = re.compile(r"[A-Za-z0-9_-]+\.(?:" + "|".join(UPLOAD_EXTENSIONS) + ")", re.ASCII)
MAX_STEM = 100
# Pieces of 1 MiB: each pays a thread hop (the read) and a pass through httpx, h11 and a socket
# send. 256 KiB pieces were 0.73x curl's speed in bench_upload.py, 1 MiB 1.04-1.11x (bigger
# ones had looked slower only while the simulator's own parser was the bottleneck).
CHUNK = 1024 * 1024
MAX_FIELDS = 50
MAX_FIELD_CHARS = 16 * 1024
Progress = Callable[[int, int], None]  # (file bytes sent, file size)


def fit_file_name(original: str) -> str:
    """A name that fits the provider's rule, from any file name (the original stays the label).

    Accents are dropped (``Résumé`` -> ``Resume``), every other character outside the rule
    becomes ``_``, dots before the extension too; the extension is lower-cased and must be one
    the upload API takes.
    """
    base = original.replace("\\", "/").rsplit("/", 1)[-1].strip()
    stem, dot, ext = base.rpartition(".")
    if not dot or ext.lower() not in UPLOAD_EXTENSIONS:
        shown = f".{ext}" if dot and ext else "no extension"
        raise InvalidInput(
            f"{original!r}: the upload API takes {', '.join('.' + e for e in UPLOAD_EXTENSIONS)} "
            f"files ({shown} given)",
            code="UNSUPPORTED_EXTENSION",
        )
    ascii_stem = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    clean = re.sub(r"[^A-Za-z0-9_-]+", "_", ascii_stem).strip("_")[:MAX_STEM].strip("_")
    return f"{clean or 'file'}.{ext.lower()}"


@dataclass(frozen=True, slots=True)
class UploadTicket:
    """The upload API's answer: where and with which fields to POST the file."""

    upload_id: str
    url: str
    fields: Mapping[str, str]
    filename: str

    @property
    def key(self) -> str:
        """The object key: the file reference a ``file``-mode submission sends."""
        return self.fields["key"]


@dataclass(frozen=True, slots=True)
class UploadInfo:
    """One item of ``GET /list-uploads-api`` (ids and statuses shown, never validated)."""

    upload_id: str
    status: str
    filename: str | None
    s3_key: str | None
    file_size: int | None
    created_at: float | None
    expires_at: float | None
    raw: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> UploadInfo:
        def text(name: str) -> str | None:
            value = data.get(name)
            return str(value)[:300] if value is not None else None

        def number(name: str) -> float | None:
            value = data.get(name)
            return (
                float(value)
                if isinstance(value, int | float) and not isinstance(value, bool)
                else None
            )

        size = number("file_size")
        return cls(
            upload_id=text("upload_id") or "",
            status=text("status") or "unknown",
            filename=text("filename"),
            s3_key=text("s3_key"),
            file_size=int(size) if size is not None else None,
            created_at=number("created_at"),
            expires_at=number("expires_at"),
            raw=MappingProxyType(dict(data)),
        )


class _FileChanged(Exception):
    def __init__(self, error: ApiError) -> None:
        super().__init__(str(error))
        self.error = error


def _ticket(data: Mapping[str, Any], filename: str) -> UploadTicket:
    upload = data.get("upload")
    upload_id = data.get("upload_id")
    fields = upload.get("fields") if isinstance(upload, Mapping) else None
    url = upload.get("url") if isinstance(upload, Mapping) else None
    if (
        not isinstance(upload_id, str)
        or not isinstance(url, str)
        or not isinstance(fields, Mapping)
    ):
        raise BadResponse("the upload API's answer has no upload_id, upload.url and upload.fields")
    if not 0 < len(fields) <= MAX_FIELDS or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_FIELD_CHARS
        for k, v in fields.items()
    ):
        raise BadResponse("the upload API's fields are not a small set of text values")
    if "key" not in fields:
        raise BadResponse("the upload API's fields have no key (the file reference)")
    try:
        check_url_security(url)
    except InsecureUrl as exc:
        raise BadResponse(
            f"the upload API gave a storage URL that is not safe: {exc.message}"
        ) from None
    return UploadTicket(upload_id[:300], url, MappingProxyType(dict(fields)), filename)


class UploadClient:
    """Typed access to the upload endpoints; ``storage_http(origin)`` gives the storage
    origin's client (one pool per origin, the composition root's)."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str,
        *,
        api_key: str | None = None,
        storage_http: Callable[[str], httpx.AsyncClient] | None = None,
    ) -> None:
        self._http = http
        self.base_url = normalize_base_url(base_url)
        self.origin = origin_of(self.base_url)
        self.api_key = api_key
        self._storage_http = storage_http or (lambda _origin: http)

    async def request_upload(self, filename: str) -> UploadTicket:
        """``POST /upload-api`` for ``filename`` (already fitted to the rule; see fit_file_name)."""
        if NAME_RE.fullmatch(filename) is None:
            raise InvalidInput(
                f"{filename!r} does not fit the upload API's rule", code="INVALID_FILENAME"
            )
        answer = await exchange(
            self._http,
            "POST",
            self.base_url + "/upload-api",
            api_origin=self.origin,
            api_key=self.api_key,
            what="upload request",
            json_body={"filename": filename},
        )
        return _ticket(raise_for_answer(answer, "upload request"), filename)

    async def send_file(
        self,
        ticket: UploadTicket,
        path: Path,
        *,
        progress: Progress | None = None,
        cancel: asyncio.Event | None = None,
        chunk_size: int = CHUNK,
    ) -> int:
        """POST ``path`` to the storage origin; returns the bytes sent. The file is read in
        pieces while it is sent; a change to it while sending fails the upload."""
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError as exc:
            raise InvalidInput(
                f"cannot read {str(path)!r}: {exc.strerror or exc}", code="FILE_UNREADABLE"
            ) from None
        try:
            before = os.fstat(fd)
            boundary = "jobmonitor-" + secrets.token_hex(16)
            head, tail = _envelope(ticket, boundary)
            size = before.st_size
            body = _stream(fd, path, before, head, tail, progress, cancel, chunk_size)
            headers = {
                "content-type": f"multipart/form-data; boundary={boundary}",
                "content-length": str(len(head) + size + len(tail)),
            }
            http = self._storage_http(origin_of(ticket.url))
            try:
                # No key: the storage origin is not the API's; the policy is the credential.
                request = http.build_request("POST", ticket.url, headers=headers, content=body)
                response = await http.send(request, stream=True, follow_redirects=False)
                try:
                    raw = await _read_small(response)
                finally:
                    await response.aclose()
            except _FileChanged as changed:
                raise changed.error from None
            except httpx.HTTPError as exc:
                raise transport_error(exc, "upload", "the storage") from None
            if 200 <= response.status_code < 300:
                return size
            from jobmonitor.api.wire import Answer

            raise storage_error(
                Answer(response.status_code, response.headers, raw, None), "storage"
            )
        finally:
            os.close(fd)

    async def list_uploads(self, status: str | None = None) -> list[UploadInfo]:
        """``GET /list-uploads-api``, optionally only uploads in ``status``."""
        headers = {"x-upload-status": status} if status else None
        answer = await exchange(
            self._http,
            "GET",
            self.base_url + "/list-uploads-api",
            api_origin=self.origin,
            api_key=self.api_key,
            what="upload list",
            headers=headers,
        )
        data = raise_for_answer(answer, "upload list")
        items = next(
            (data[k] for k in ("uploads", "items", "data") if isinstance(data.get(k), list)), None
        )
        if items is None:
            raise BadResponse("the upload list has no uploads array", body=data)
        return [UploadInfo.from_wire(i) for i in items[:10_000] if isinstance(i, Mapping)]

    async def delete_upload(self, upload_id: str) -> None:
        """``DELETE /delete-upload-api`` (only the owner can); UploadNotFound when there is none."""
        if not upload_id.isprintable() or not upload_id.isascii() or not 0 < len(upload_id) <= 300:
            raise InvalidInput(f"{upload_id[:60]!r} is not an upload id", code="INVALID_UPLOAD_ID")
        answer = await exchange(
            self._http,
            "DELETE",
            self.base_url + "/delete-upload-api",
            api_origin=self.origin,
            api_key=self.api_key,
            what=f"delete upload {upload_id}",
            headers={"x-upload-id": upload_id},
        )
        raise_for_answer(
            answer,
            f"delete upload {upload_id}",
            not_found=UploadNotFound,
            not_found_code="UPLOAD_NOT_FOUND",
        )


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")


def _envelope(ticket: UploadTicket, boundary: str) -> tuple[bytes, bytes]:
    """The multipart bytes before and after the file: every field, then the file's header."""
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{_quote(k)}"\r\n\r\n{v}\r\n'
        for k, v in ticket.fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{_quote(ticket.filename)}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    return "".join(parts).encode(), f"\r\n--{boundary}--\r\n".encode()


async def _stream(
    fd: int,
    path: Path,
    before: os.stat_result,
    head: bytes,
    tail: bytes,
    progress: Progress | None,
    cancel: asyncio.Event | None,
    chunk_size: int,
) -> AsyncIterator[bytes]:
    """The body: ``head``, the file read ahead one piece in a thread (a slow disk never stalls
    the event loop), ``tail`` only once the file proved unchanged."""
    size = before.st_size
    yield head
    sent = 0
    ahead: asyncio.Future[bytes] | None = None
    try:
        while sent < size:
            if ahead is None:
                ahead = asyncio.ensure_future(
                    asyncio.to_thread(os.pread, fd, min(chunk_size, size - sent), sent)
                )
            chunk = await ahead
            ahead = None
            if not chunk:
                raise _FileChanged(
                    InvalidInput(f"{str(path)!r} shrank while it was uploaded", code="FILE_CHANGED")
                )
            sent += len(chunk)
            if sent < size:
                ahead = asyncio.ensure_future(
                    asyncio.to_thread(os.pread, fd, min(chunk_size, size - sent), sent)
                )
            if cancel is not None and cancel.is_set():
                raise _FileChanged(Cancelled("the upload was cancelled"))
            yield chunk
            if progress is not None:
                progress(sent, size)
    finally:
        if ahead is not None:
            ahead.cancel()
            with contextlib.suppress(BaseException):
                await ahead
    _check_unchanged(fd, path, before)
    yield tail


def _check_unchanged(fd: int, path: Path, before: os.stat_result) -> None:
    now = os.fstat(fd)
    if now.st_size != before.st_size or now.st_mtime_ns != before.st_mtime_ns:
        raise _FileChanged(
            InvalidInput(f"{str(path)!r} changed while it was uploaded", code="FILE_CHANGED")
        )
    try:
        named = os.stat(path)
    except OSError:
        named = None
    if named is None or (named.st_ino, named.st_dev) != (before.st_ino, before.st_dev):
        raise _FileChanged(
            InvalidInput(
                f"{str(path)!r} was removed or replaced while it was uploaded", code="FILE_VANISHED"
            )
        )


async def _read_small(response: httpx.Response, cap: int = 64 * 1024) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            break
        chunks.append(chunk)
    return b"".join(chunks)
