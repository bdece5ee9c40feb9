"""What a download reads from a file server's answer headers: ranges, lengths, validators, and
whether the body is to be decoded before it is saved; and whether a server's address parses."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

from jobmonitor.api.decoding import encodings_of
from jobmonitor.core.downloads.partfile import PartMeta

# A file whose own name or type says gzip is kept as sent, as browsers do: the gzip on the wire
# is the file itself (decoding data.json.gz saved plain JSON under a .gz name).
GZIP_NAMES = (".gz", ".tgz", ".gzip", ".svgz")
GZIP_TYPES = frozenset({"application/gzip", "application/x-gzip", "application/x-tgz"})
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)", re.ASCII | re.IGNORECASE)


def decodes(name: str | None, response: httpx.Response) -> bool:
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


def parses(url: str) -> bool:
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
