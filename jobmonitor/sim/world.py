"""The simulated Status API's state: keys, jobs and their lifecycles, ownership, rate limits.

Everything is decided here, under one lock, from an injectable wall clock and a seeded random
generator; ``app.py`` and ``files.py`` only render the answers. Thread-safe, because the servers
run in a background thread while tests change the world from theirs.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from email.utils import formatdate
from typing import Any
from urllib.parse import quote

from jobmonitor.sim.faults import (
    Answer,
    Faults,
    FileFaults,
    FileRequestRecord,
    RequestLog,
    SimStats,
)
from jobmonitor.sim.jobs import (
    FileLookup,
    SimJob,
    canonical_job_id,
    error_body,
    rate_limit_headers,
)
from jobmonitor.sim.limits import DEFAULT_BUCKET_SECONDS, RateWindow, make_window
from jobmonitor.sim.uploads import UploadStore


@dataclass
class ToolSettings:
    """How submitted jobs behave: their timeline, ids and the accepted answer's HTTP status."""

    accepted_for: float = 0.3
    queued_for: float = 0.5
    processing_for: float = 1.0
    retry_after: float = 1.0
    accepted_status: int = 202  # the provider does not show 200 or 202: clients take both
    job_id_style: str = "uuid"  # "uuid" | "prefixed" (job-12345-abcde, as the submission pages)
    max_input_bytes: int = 16 * 1024 * 1024  # larger inputs fail with FILE_TOO_LARGE


@dataclass(kw_only=True, eq=False)
class SimWorld:
    """Keys, jobs and limits of one simulated API. See the module docstring."""

    clock: Callable[[], float] = time.time
    seed: int = 0
    rate_limit: int | None = None  # requests per key per minute; None = unlimited
    rate_window: str = "sliding"  # what "per minute" means: one of limits.WINDOW_KINDS
    bucket_seconds: float = DEFAULT_BUCKET_SECONDS  # a token bucket's burst, in seconds of refill
    faults: Faults = field(default_factory=Faults)
    file_faults: FileFaults = field(default_factory=FileFaults)
    files_base_url: str = "http://127.0.0.2"
    storage_base_url: str = "http://127.0.0.2"
    file_log: RequestLog = field(default_factory=RequestLog)
    tools: ToolSettings = field(default_factory=ToolSettings)

    def __post_init__(self) -> None:
        self._lock = threading.RLock()
        self._rng = random.Random(self.seed)
        self._keys: set[str] = set()
        self._jobs: dict[str, SimJob] = {}
        self._windows: dict[str, RateWindow] = {}  # by kind: the kind may change mid-run
        self._limiter()  # an unknown kind is refused here, not on the first request
        self._tokens: dict[str, tuple[str, float | None]] = {}
        self._stats = SimStats()
        self.uploads = UploadStore(self.clock, seed=self.seed)
        self._issued = 0

    # -- set-up ---------------------------------------------------------------------------
    def add_key(self, key: str) -> None:
        with self._lock:
            self._keys.add(key)

    def remove_key(self, key: str) -> None:
        with self._lock:
            self._keys.discard(key)

    def add_job(
        self,
        owner_key: str,
        *,
        job_id: str | None = None,
        queued_for: float = 1.0,
        processing_for: float = 2.0,
        outcome: str = "success",
        retry_after: float | None = 2.0,
        error_code: str = "INVALID_JSON",
        error_message: str = "JSON validation failed.",
        error_details: Mapping[str, Any] | None = None,
        preview: str | None = None,
        file_name: str | None = None,
        file_size: int | None = None,
        unknown_status: str | None = None,
        content_disposition: str | None = None,
        extra_result: Mapping[str, Any] | None = None,
        accepted_for: float = 0.0,
        content: bytes | None = None,
    ) -> str:
        """Add a job owned by ``owner_key`` whose life starts now; return its id (a UUID in
        lower case, another id as given)."""
        if outcome not in ("success", "failed"):
            raise ValueError(f"outcome must be 'success' or 'failed', not {outcome!r}")
        with self._lock:
            self._keys.add(owner_key)
            if job_id is None:
                job_id = str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
            canonical = canonical_job_id(job_id)
            if canonical is None:
                raise ValueError(f"not a job id the API could issue: {job_id!r}")
            job_id = canonical
            short = job_id[:8]
            if preview is None:
                preview = f'{{\n  "name": "John",\n  "age": 30,\n  "job": "{short}"\n}}'
            default_name = f"apidatatools_convert_{short}.json"
            if file_size is not None:
                default_name = f"apidatatools_result_{short}.bin"
            self._jobs[job_id] = SimJob(
                job_id=job_id,
                owner=owner_key,
                created=self.clock(),
                queued_for=queued_for,
                processing_for=processing_for,
                outcome=outcome,
                retry_after=retry_after,
                error_code=error_code,
                error_message=error_message,
                error_details=dict(
                    {"line": 2, "column": 5} if error_details is None else error_details
                ),
                preview=preview,
                file_name=file_name or default_name,
                file_size=file_size,
                unknown_status=unknown_status,
                content_disposition=content_disposition,
                extra_result=dict(extra_result or {}),
                accepted_for=accepted_for,
                content=content,
            )
            return job_id

    def new_job_id(self) -> str:
        """A fresh id in the style of ``tools.job_id_style``."""
        with self._lock:
            if self.tools.job_id_style == "prefixed":
                self._issued += 1
                letters = "".join(self._rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(5))
                return f"job-{10000 + self._issued}-{letters}"
            return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def job(self, job_id: str) -> SimJob:
        """The job (for tests): by its id, a UUID in any case."""
        with self._lock:
            return self._jobs[canonical_job_id(job_id) or job_id]

    def finish_time(self, job_id: str) -> float:
        return self.job(job_id).finish_time

    def finish_now(self, job_id: str) -> None:
        """End a processing job's work at this moment: a test finishes a job once the app has
        seen it running, instead of guessing how many seconds a loaded machine needs."""
        with self._lock:
            job = self.job(job_id)
            started = job.created + job.accepted_for + job.queued_for
            job.processing_for = max(0.0, self.clock() - started)

    def delete_job(self, job_id: str) -> None:
        with self._lock:
            self.job(job_id).deleted = True

    def status_of(self, job_id: str) -> str:
        """The job's status now, as the API would report it (for tests and the demo)."""
        with self._lock:
            return self.job(job_id).phase(self.clock())[0]

    def job_ids(self, owner_key: str | None = None) -> list[str]:
        with self._lock:
            return [j.job_id for j in self._jobs.values() if owner_key in (None, j.owner)]

    @property
    def stats(self) -> SimStats:
        """A copy of the counters."""
        with self._lock:
            return self._stats.copy()

    def reset_stats(self) -> None:
        with self._lock:
            self._stats = SimStats()

    # -- the API --------------------------------------------------------------------------
    def handle(
        self, route: str, key: str | None, raw_id: str | None, *, moved: bool = False
    ) -> Answer:
        """Decide the answer to ``GET /{route}/{raw_id}`` with header ``x-api-key: key``.

        ``moved``: the request came to the redirect fault's target routes (never redirected).
        """
        with self._lock:
            now = self.clock()
            self._stats.requests += 1
            self._stats.by_route[route] += 1
            answer = self._decide(route, key, raw_id, now, moved)
            self._stats.by_status[answer.status] += 1
            return answer

    def _decide(
        self, route: str, key: str | None, raw_id: str | None, now: float, moved: bool
    ) -> Answer:
        f = self.faults
        if f.routes not in ("both", route):
            return Answer(404, router_404=True)
        if f.redirect_to and not moved:
            return Answer(307, redirect=f.redirect_to)
        refused, headers = self._gate(key, now)
        if refused is not None:
            return refused
        assert key is not None
        answer = self._job_answer(key, raw_id, now)
        answer.headers.update(headers)
        if f.fail_next > 0:
            f.fail_next -= 1
            self._stats.server_errors += 1
            return Answer(500, error_body(500), headers)
        if f.error_rate > 0 and self._rng.random() < f.error_rate:
            self._stats.server_errors += 1
            return Answer(500, error_body(500), headers)
        if f.garbage_rate > 0 and f.garbage_kinds and self._rng.random() < f.garbage_rate:
            self._stats.garbage += 1
            kind = self._rng.choice(f.garbage_kinds)
            return replace(answer, status=502 if kind == "html" else 200, garbage=kind)
        return answer

    def admit(self, route: str, key: str | None) -> tuple[Answer | None, dict[str, str]]:
        """The key check and rate limit every route shares: (a refusal or None, headers)."""
        with self._lock:
            now = self.clock()
            self._stats.requests += 1
            self._stats.by_route[route] += 1
            refused, headers = self._gate(key, now)
            if refused is not None:
                self._stats.by_status[refused.status] += 1
            return refused, headers

    def count_answer(self, status: int) -> None:
        with self._lock:
            self._stats.by_status[status] += 1

    def _gate(self, key: str | None, now: float) -> tuple[Answer | None, dict[str, str]]:
        if not key or key not in self._keys:
            return Answer(401, error_body(401)), {}
        headers: dict[str, str] = {}
        if self.rate_limit is not None:
            limit = self.rate_limit
            allowed, remaining, reset = self._limiter().take(key, now, limit)
            if self.faults.rate_headers:
                style = self.faults.rate_header_style
                headers = rate_limit_headers(style, limit, remaining, reset, now)
            if not allowed:
                self._stats.rate_limited += 1
                return self._too_many(reset, headers, now), headers
        return None, headers

    def _limiter(self) -> RateWindow:
        window = self._windows.get(self.rate_window)
        if window is None:
            window = make_window(self.rate_window, self.bucket_seconds)
            self._windows[self.rate_window] = window
        return window

    def _job_answer(self, key: str, raw_id: str | None, now: float) -> Answer:
        if not (raw_id or "").strip():
            return Answer(400, error_body(400))
        job_id = canonical_job_id(raw_id or "")
        if job_id is None:
            return Answer(400, error_body(400, "Invalid job_id format"))
        job = self._jobs.get(job_id)
        if job is None or job.deleted:
            return Answer(404, error_body(404))
        if job.owner != key:
            return Answer(403, error_body(403))
        return Answer(200, job.view(now, lambda: self._file_url(job, now)))

    def _too_many(self, reset: float, headers: dict[str, str], now: float) -> Answer:
        secs = max(math.ceil(reset), 1)
        body = error_body(429)
        if self.faults.retry_after_body:
            body["retry_after"] = secs
        if self.faults.retry_after_header:
            headers = dict(headers)
            if self.faults.retry_after_format == "date":
                headers["Retry-After"] = formatdate(now + secs, usegmt=True)
            else:
                headers["Retry-After"] = str(secs)
        return Answer(429, body, headers)

    # -- result files ---------------------------------------------------------------------
    def _file_url(self, job: SimJob, now: float) -> str:
        ttl = self.file_faults.url_ttl
        current = self._tokens.get(job.token) if job.token else None
        expired = current is not None and current[1] is not None and now >= current[1]
        if current is None or expired or (ttl is not None and current[1] is None):
            job.tokens_issued += 1
            raw = f"{self.seed}:{job.job_id}:{job.tokens_issued}".encode()
            job.token = hashlib.sha256(raw).hexdigest()[:32]
            self._tokens[job.token] = (job.job_id, None if ttl is None else now + ttl)
        return (
            f"{self.files_base_url.rstrip('/')}/files/{job.token}/{quote(job.file_name, safe='')}"
        )

    def file_url(self, job_id: str) -> str:
        """The current (or a fresh, when expired) result-file URL of a job."""
        with self._lock:
            return self._file_url(self.job(job_id), self.clock())

    def expire_file_urls(self) -> None:
        """Expire every URL issued so far (the next poll of a job gets a fresh one)."""
        with self._lock:
            now = self.clock()
            self._tokens = {t: (j, now) for t, (j, _) in self._tokens.items()}

    def touch_file(self, job_id: str) -> None:
        """Replace a job's result file by a new version (new ETag, new generated content)."""
        with self._lock:
            self.job(job_id).file_version += 1

    def resolve_file(self, token: str, name: str) -> FileLookup:
        with self._lock:
            entry = self._tokens.get(token)
            job = self._jobs.get(entry[0]) if entry else None
            if entry is None or job is None or job.deleted or name != job.file_name:
                return FileLookup(404)
            if entry[1] is not None and self.clock() >= entry[1]:
                return FileLookup(self.file_faults.expired_status)
            return FileLookup(200, job.file_spec())

    def take_cut(self) -> int | None:
        """Bytes after which to cut this file response, if a cut is due (once, or always)."""
        with self._lock:
            cut = self.file_faults.cut_after
            if cut is not None and not self.file_faults.cut_always:
                self.file_faults.cut_after = None
            return cut

    def record_storage_request(self, *, had_key: bool) -> None:
        with self._lock:
            self._stats.storage_requests += 1
            self._stats.storage_requests_with_key += int(had_key)

    def record_file_request(self, record: FileRequestRecord, sent: int, cut: bool) -> None:
        with self._lock:
            self.file_log.append(record)
            self._stats.file_requests += 1
            self._stats.file_bytes += sent
            self._stats.file_cuts += int(cut)
            self._stats.file_requests_with_key += int(record.had_key)
