"""The storage origin: an S3 bucket's presigned POST, streamed to disk, refusals in S3's XML.

``POST /`` with ``multipart/form-data``: the policy is checked when the file part starts (fields
after the file are ignored, as S3 does), the file is written to disk as it arrives and counted
against the policy's content-length range. Success is ``204 No Content``. A refused POST still
reads the body to its end before answering, so a client sending a large file sees the XML error
instead of a reset connection.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from starlette.datastructures import Headers
from starlette.types import Receive, Scope, Send

from jobmonitor.sim.multipart import MalformedPost, MultipartParser, boundary_of
from jobmonitor.sim.uploads import SimUpload, StorageRefusal
from jobmonitor.sim.world import SimWorld

MAX_FIELD_BYTES = 64 * 1024


def error_xml(refusal: StorageRefusal, request_id: str) -> bytes:
    """S3's error document."""
    extra = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in refusal.extra)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(refusal.code)}</Code><Message>{escape(refusal.message)}</Message>"
        f"{extra}<RequestId>{request_id}</RequestId><HostId>sim</HostId></Error>"
    ).encode()


class _Sink:
    """Collects the fields, checks the policy at the file part and streams the file to disk."""

    def __init__(self, world: SimWorld) -> None:
        self.world = world
        self.fields: dict[str, str] = {}
        self.refusal: StorageRefusal | None = None
        self.upload: SimUpload | None = None
        self.size = 0
        self.limits = (0, 0)
        self.file_seen = False
        self.file_done = False
        self.tmp: Path | None = None
        self._fd: int | None = None
        self._name: str | None = None
        self._value: list[bytes | memoryview] = []
        self._value_size = 0

    def begin(self, name: str, filename: str | None, content_type: str | None) -> None:
        self._name = name
        if name != "file" or self.file_seen:
            self._value, self._value_size = [], 0
            return
        self.file_seen = True
        self._name = None  # the file's bytes go to disk
        if self.refusal is not None:
            return
        checked = self.world.uploads.check_policy(self.fields)
        if isinstance(checked, StorageRefusal):
            self.refusal = checked
            return
        self.upload, low, high = checked
        self.limits = (low, high)
        fd, tmp = tempfile.mkstemp(dir=self.world.uploads.folder, prefix=".incoming-")
        self._fd, self.tmp = fd, Path(tmp)

    def data(self, chunk: bytes | memoryview) -> None:
        if self._name is not None:
            if self.file_seen:
                return  # fields after the file are ignored
            self._value_size += len(chunk)
            if self._value_size > MAX_FIELD_BYTES:
                self.refusal = self.refusal or StorageRefusal(
                    400, "MaxPostPreDataLengthExceeded", "Your POST request fields exceed 64 KB."
                )
                return
            self._value.append(chunk)
            return
        self.size += len(chunk)
        if self._fd is None:
            return
        if self.size > self.limits[1]:
            self._refuse_size()
            return
        view = memoryview(chunk)
        while view:
            view = view[os.write(self._fd, view) :]

    def end(self) -> None:
        if self._name is not None:
            if not self.file_seen:
                self.fields[self._name] = b"".join(self._value).decode("utf-8", "replace")
            self._name = None
            return
        self.file_done = True

    def _refuse_size(self) -> None:
        high = self.limits[1]
        self.refusal = StorageRefusal(
            400,
            "EntityTooLarge",
            "Your proposed upload exceeds the maximum allowed size",
            (("MaxSizeAllowed", str(high)),),
        )
        self.discard()

    def discard(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
            self.tmp = None

    def commit(self) -> StorageRefusal | None:
        """After the body ended: store the file or say why not."""
        if self.refusal is not None:
            self.discard()
            return self.refusal
        if not self.file_seen or not self.file_done or self.upload is None:
            self.discard()
            return StorageRefusal(
                400, "InvalidArgument", "POST requires exactly one file upload per request."
            )
        if self.size < self.limits[0]:
            self.discard()
            return StorageRefusal(
                400,
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
                (("MinSizeAllowed", str(self.limits[0])),),
            )
        assert self._fd is not None and self.tmp is not None
        os.close(self._fd)
        self._fd = None
        self.world.uploads.complete(self.upload, self.size, self.tmp)
        self.tmp = None
        return None


class StorageEndpoint:
    """A raw ASGI app: it reads the body as it streams."""

    def __init__(self, world: SimWorld) -> None:
        self.world = world
        self._count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        headers = Headers(scope=scope)
        self._count += 1
        request_id = hashlib.sha1(f"storage:{self._count}".encode()).hexdigest()[:16].upper()
        self.world.record_storage_request(had_key="x-api-key" in headers)
        sink = _Sink(self.world)
        refusal = _early_refusal(scope, headers)
        if refusal is not None:
            await _drain(receive)
        else:
            boundary = boundary_of(headers.get("content-type", ""))
            assert boundary is not None  # _early_refusal checked it
            outcome = await self._read(receive, MultipartParser(boundary, sink), sink)
            if outcome is False:  # the client went away: nothing is stored
                sink.discard()
                return
            refusal = outcome
        if refusal is None:
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [(b"x-amz-request-id", request_id.encode())],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return
        body = error_xml(refusal, request_id)
        out = [
            (b"content-type", b"application/xml"),
            (b"content-length", str(len(body)).encode()),
            (b"x-amz-request-id", request_id.encode()),
        ]
        await send({"type": "http.response.start", "status": refusal.status, "headers": out})
        await send({"type": "http.response.body", "body": body})

    async def _read(self, receive: Receive, parser: MultipartParser, sink: _Sink) -> Any:
        malformed = False
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return False
                if not malformed:
                    try:
                        parser.feed(message.get("body", b""))
                    except MalformedPost:
                        malformed = True
                if not message.get("more_body", False):
                    break
            if not malformed:
                try:
                    parser.finish()
                except MalformedPost:
                    malformed = True
        except BaseException:
            sink.discard()
            raise
        if malformed:
            sink.discard()
            return StorageRefusal(
                400,
                "MalformedPOSTRequest",
                "The body of your POST request is not well-formed multipart/form-data.",
            )
        return sink.commit()


def _early_refusal(scope: Scope, headers: Headers) -> StorageRefusal | None:
    if scope["method"] != "POST" or scope["path"] not in ("/", ""):
        return StorageRefusal(
            405, "MethodNotAllowed", "The specified method is not allowed against this resource."
        )
    if headers.get("content-length") is None:  # S3 takes no chunked POST
        return StorageRefusal(
            411, "MissingContentLength", "You must provide the Content-Length HTTP header."
        )
    if boundary_of(headers.get("content-type", "")) is None:
        return StorageRefusal(
            412,
            "PreconditionFailed",
            "Bucket POST must be of the enclosure-type multipart/form-data",
        )
    return None


async def _drain(receive: Receive) -> None:
    """Read a refused request's body to its end, so the client gets to read the answer."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect" or not message.get("more_body", False):
            return


def create_storage_app(world: SimWorld) -> Any:
    """The storage origin's ASGI app, bound to ``world``."""
    return StorageEndpoint(world)
