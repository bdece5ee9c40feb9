"""Content-Encoding undone incrementally, with every piece of output bounded.

httpx inflates each received chunk in one call: a 6.7 KB answer sent as ``gzip, gzip`` became
8.4 GB in memory before any size cap could look at it. Here each layer is a zlib decompressor
asked for at most ``piece`` bytes at a time (``max_length``); what it could not yet inflate stays
in its ``unconsumed_tail`` and is asked for again once the layer above has taken the piece. Memory
is a few pieces whatever the ratio or the number of layers, and a caller that wants only so many
bytes (a status answer: 1 MiB) stops after them, having inflated no more than that.

gzip, x-gzip and deflate (zlib-wrapped, or raw as some servers send it) are decoded; ``identity``
is skipped. Anything else (br, zstd, compress) was never asked for by this client and is refused
with ``UnsupportedEncoding``; so is a stack of more than ``MAX_LAYERS`` encodings. A stream that
does not inflate raises ``CorruptEncoding``. Both are ``DecodingFailed``; callers map them to
their own errors (the API client to ``BadResponse``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

PIECE = 256 * 1024  # the most one inflate step hands over
MAX_LAYERS = 3  # gzip of a gzip happens (a proxy compressing again); more is an attack
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS


class DecodingFailed(Exception):
    """The body's Content-Encoding cannot be undone."""


class UnsupportedEncoding(DecodingFailed):
    pass


class CorruptEncoding(DecodingFailed):
    pass


def encodings_of(header: str | None) -> list[str]:
    """The codings of a Content-Encoding header in the order they were applied, less identity."""
    if not header:
        return []
    codings = [c.strip().lower() for c in header.split(",")]
    return [c for c in codings if c and c != "identity"]


class _Layer:
    """One zlib stream (gzip members back to back are decoded one after another)."""

    def __init__(self, coding: str) -> None:
        self._raw_fallback = coding == "deflate"  # deflate is sometimes sent without its header
        self._wbits = _ZLIB_WBITS if coding == "deflate" else _GZIP_WBITS
        self._inflater = zlib.decompressobj(self._wbits)
        self._started = False

    def feed(self, data: bytes, piece: int) -> Iterator[bytes]:
        while data:
            try:
                out = self._inflater.decompress(data, piece)
            except zlib.error as exc:
                if self._raw_fallback and not self._started:
                    self._raw_fallback = False
                    self._wbits = -zlib.MAX_WBITS
                    self._inflater = zlib.decompressobj(self._wbits)
                    continue
                raise CorruptEncoding(f"the body does not inflate ({exc})") from None
            self._started = True
            if out:
                yield out
            if self._inflater.eof:
                rest = self._inflater.unused_data
                if not rest.strip(b"\0"):  # a trailing pad is no next member
                    return
                self._inflater = zlib.decompressobj(self._wbits)
                data = rest
            else:
                data = self._inflater.unconsumed_tail
                if not out and not data:
                    return


class BoundedDecoder:
    """Undo ``content_encoding`` piece by piece: ``feed(raw)`` yields decoded pieces of at most
    ``piece`` bytes each. Without encodings the raw bytes pass through unchanged."""

    def __init__(self, content_encoding: str | None, *, piece: int = PIECE) -> None:
        codings = encodings_of(content_encoding)
        unknown = [c for c in codings if c not in ("gzip", "x-gzip", "deflate")]
        if unknown:
            raise UnsupportedEncoding(f"the body is compressed as {unknown[0]!r}, never asked for")
        if len(codings) > MAX_LAYERS:
            raise UnsupportedEncoding(f"the body is compressed {len(codings)} times over")
        # The last coding listed was applied last: it is undone first.
        self._layers = [_Layer("deflate" if c == "deflate" else "gzip") for c in reversed(codings)]
        self._piece = piece

    @property
    def identity(self) -> bool:
        return not self._layers

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not self._layers:
            if data:
                yield data
            return
        yield from self._through(data, 0)

    def _through(self, data: bytes, depth: int) -> Iterator[bytes]:
        for out in self._layers[depth].feed(data, self._piece):
            if depth + 1 == len(self._layers):
                yield out
            else:
                yield from self._through(out, depth + 1)


__all__ = [
    "MAX_LAYERS",
    "PIECE",
    "BoundedDecoder",
    "CorruptEncoding",
    "DecodingFailed",
    "UnsupportedEncoding",
    "encodings_of",
]
