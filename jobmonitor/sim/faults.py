"""Fault switches, counters and a manual clock for the simulator (plain data, no HTTP)."""

from __future__ import annotations

import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

ROUTES = ("both", "jobs", "status-api")
GARBAGE_KINDS = ("html", "truncated", "text", "oversized", "oversized_chunked", "empty")


@dataclass
class Faults:
    """Switches for the API origin. Change them at any time; each request reads them afresh."""

    latency: float = 0.0  # seconds added to every API answer (asyncio.sleep)
    error_rate: float = 0.0  # share of answers replaced by 500 INTERNAL_ERROR
    garbage_rate: float = 0.0  # share of answers replaced by one of ``garbage_kinds``
    retry_after_header: bool = True  # send Retry-After with a 429
    rate_headers: bool = False  # send rate-limit headers (style below) when a limit is set
    routes: str = "both"  # "both" | "jobs" | "status-api": the other route answers a router's 404
    # Beyond the shared interface: variations real servers show.
    garbage_kinds: tuple[str, ...] = GARBAGE_KINDS
    retry_after_format: str = "seconds"  # "seconds" | "date" (an HTTP date)
    retry_after_body: bool = False  # also put "retry_after" into the 429 body
    rate_header_style: str = "x"  # "x" | "x-epoch" | "ietf" | "ietf-draft"
    redirect_to: str | None = None  # answer every request with a 307 to this origin (same path)
    fail_next: int = 0  # the next N answers are 500s (a deterministic transient fault)


@dataclass
class FileFaults:
    """Switches for the result-file origin."""

    cut_after: int | None = None  # cut the connection after this many body bytes
    cut_always: bool = False  # False: only the next response is cut; True: every one
    url_ttl: float | None = None  # file URLs expire this many seconds after they were issued
    expired_status: int = 410  # 403 (S3-like AccessDenied) or 410 Gone once a URL expired
    ranges: bool = True  # honour Range requests (False: always the whole file, 200)
    etag: bool = True  # send an ETag (and honour If-Range against it)
    content_length: bool = True  # False: chunked transfer without a length
    latency: float = 0.0  # seconds before the answer starts


@dataclass
class SimStats:
    """Counters for tests and benchmarks. Read them through ``SimWorld.stats`` (a copy)."""

    requests: int = 0  # every request that reached the API app
    rate_limited: int = 0  # 429 answers
    server_errors: int = 0  # injected 500s
    garbage: int = 0  # injected garbage answers
    by_status: Counter[int] = field(default_factory=Counter)
    by_route: Counter[str] = field(default_factory=Counter)
    file_requests: int = 0
    file_bytes: int = 0  # body bytes the file origin sent
    file_cuts: int = 0  # connections cut on purpose
    file_requests_with_key: int = 0  # requests to the file origin that carried x-api-key
    storage_requests: int = 0  # requests to the storage origin (presigned POSTs)
    storage_requests_with_key: int = 0  # of them, those that carried x-api-key

    def copy(self) -> SimStats:
        return SimStats(
            self.requests,
            self.rate_limited,
            self.server_errors,
            self.garbage,
            Counter(self.by_status),
            Counter(self.by_route),
            self.file_requests,
            self.file_bytes,
            self.file_cuts,
            self.file_requests_with_key,
            self.storage_requests,
            self.storage_requests_with_key,
        )


@dataclass(frozen=True, slots=True)
class FileRequestRecord:
    """One request the file origin saw (without any key value: only whether one was sent)."""

    method: str
    path: str
    range: str | None
    if_range: str | None
    had_key: bool
    status: int


@dataclass(frozen=True, slots=True)
class Answer:
    """What the API should answer, decided by the world; ``app.py`` renders it."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    garbage: str | None = None  # one of GARBAGE_KINDS: render a broken answer instead
    router_404: bool = False  # a plain-text "Not Found" as a router answers a missing route
    redirect: str | None = None


class ManualClock:
    """An injectable wall clock for tests: ``clock()`` returns epoch seconds; move it by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> float:
        with self._lock:
            self._now += seconds
            return self._now

    def set(self, when: float) -> None:
        with self._lock:
            self._now = when


class RequestLog:
    """A bounded, thread-safe log of the file origin's requests."""

    def __init__(self, size: int = 1000) -> None:
        self._items: deque[FileRequestRecord] = deque(maxlen=size)
        self._lock = threading.Lock()

    def append(self, record: FileRequestRecord) -> None:
        with self._lock:
            self._items.append(record)

    def items(self) -> list[FileRequestRecord]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
