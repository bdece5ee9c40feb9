"""A streaming ``multipart/form-data`` parser for the simulated storage origin.

The storage origin takes files of hundreds of MiB: parts are handed to a sink piece by piece as
the body arrives, never held whole. Written here rather than taken from python-multipart because
the storage origin needs S3's own rules at the part boundaries (fields before the file, the
policy checked when the file part starts, the size counted as it streams), and this is ~100 lines.
"""

from __future__ import annotations

import re
from typing import Protocol

MAX_HEADER_BYTES = 16 * 1024
MAX_PARTS = 64
_PARAM_RE = re.compile(r';\s*([A-Za-z0-9_*-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))')


class MalformedPost(Exception):
    """The body is not well-formed multipart/form-data."""


class PartSink(Protocol):
    """Receives the parts in order: ``begin``, any number of ``data``, ``end``."""

    def begin(self, name: str, filename: str | None, content_type: str | None) -> None: ...

    def data(self, chunk: bytes | memoryview) -> None: ...

    def end(self) -> None: ...


def boundary_of(content_type: str) -> bytes | None:
    """The boundary of a ``multipart/form-data`` content type, or None."""
    kind, _, rest = content_type.partition(";")
    if kind.strip().lower() != "multipart/form-data":
        return None
    for match in _PARAM_RE.finditer(";" + rest):
        if match.group(1).lower() == "boundary":
            value = match.group(2) if match.group(2) is not None else match.group(3).strip()
            if 1 <= len(value) <= 70:
                return value.encode("latin-1", "replace")
    return None


def _disposition(headers: bytes) -> tuple[str, str | None, str | None]:
    name: str | None = None
    filename: str | None = None
    ctype: str | None = None
    for line in headers.decode("utf-8", "replace").split("\r\n"):
        key, _, value = line.partition(":")
        key = key.strip().lower()
        if key == "content-type":
            ctype = value.strip()
        elif key == "content-disposition":
            kind, _, params = value.partition(";")
            if kind.strip().lower() != "form-data":
                raise MalformedPost("a part is not form-data")
            for match in _PARAM_RE.finditer(";" + params):
                raw = match.group(2) if match.group(2) is not None else match.group(3).strip()
                raw = re.sub(r"\\(.)", r"\1", raw)
                if match.group(1).lower() == "name":
                    name = raw
                elif match.group(1).lower() == "filename":
                    filename = raw
    if name is None:
        raise MalformedPost("a part has no name")
    return name, filename, ctype


class MultipartParser:
    """Feed the body in pieces; parts go to the sink as soon as they can be told apart."""

    def __init__(self, boundary: bytes, sink: PartSink) -> None:
        self._delim = b"\r\n--" + boundary
        # A leading CRLF lets the first delimiter (at the very start) match like the others.
        self._buf = b"\r\n"
        self._state = "preamble"
        self._sink = sink
        self._parts = 0

    @property
    def done(self) -> bool:
        return self._state == "done"

    def feed(self, data: bytes) -> None:
        if self._state == "done":
            return  # the epilogue is ignored
        if self._state == "body" and self._feed_body(data):
            return
        buf = self._buf + data if self._buf else data
        delim = self._delim
        while True:
            if self._state in ("preamble", "body"):
                at = buf.find(delim)
                if at < 0:
                    keep = len(delim) - 1  # a delimiter may straddle this piece and the next
                    if self._state == "body" and len(buf) > keep:
                        self._sink.data(buf[:-keep])
                    self._buf = buf[-keep:] if len(buf) > keep else buf
                    return
                if self._state == "body":
                    self._sink.data(buf[:at])
                    self._sink.end()
                buf = buf[at + len(delim) :]
                self._state = "after_delimiter"
            elif self._state == "after_delimiter":
                if len(buf) < 2:
                    self._buf = buf
                    return
                if buf.startswith(b"--"):
                    self._state, self._buf = "done", b""
                    return
                if not buf.startswith(b"\r\n"):
                    raise MalformedPost("no line break after a boundary")
                buf = buf[2:]
                self._state = "headers"
            else:  # headers
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    if len(buf) > MAX_HEADER_BYTES:
                        raise MalformedPost("part headers too long")
                    self._buf = buf
                    return
                self._parts += 1
                if self._parts > MAX_PARTS:
                    raise MalformedPost("too many parts")
                self._sink.begin(*_disposition(buf[:end]))
                buf = buf[end + 4 :]
                self._state = "body"

    def _feed_body(self, data: bytes) -> bool:
        """The common case inside a file: no delimiter in this piece. Its bytes go to the sink
        as views, not copies (joining the kept tail to every piece copied the whole upload
        twice: the simulator's parser then bounded any client's upload speed near 700 MiB/s).
        False when a delimiter may be in it: the general path takes over."""
        delim, tail = self._delim, self._buf
        keep = len(delim) - 1
        if len(data) <= keep or (tail + data[:keep]).find(delim) >= 0 or data.find(delim) >= 0:
            return False
        if tail:
            self._sink.data(tail)
        view = memoryview(data)
        self._sink.data(view[:-keep])
        self._buf = bytes(view[-keep:])
        return True

    def finish(self) -> None:
        """The body ended: it must have ended with the closing delimiter."""
        if self._state != "done":
            raise MalformedPost("the body ended before the closing boundary")
