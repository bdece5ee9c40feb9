"""The quick lane: small result files fetched and saved on worker threads, off the event loop,
their outcomes handed to the loop in batches, at most one batch per frame.

Download all of 1,000 files of 100 KB spent about 7 ms of the event loop per file in httpx,
httpcore, anyio and qasync's timers (a Qt timer per asyncio callback), 0.06x curl's speed. Here
``workers`` threads (the manager's slot count: as many connections as the general path would
open) each keep one HTTP/1.1 connection per origin alive and run request, bounded body
(``wire.py``), write the file to its ``.part`` and hand it, still open, to the lane's saver
(``groupsave.py``: one sync for every file waiting, then the no-overwrite renames and one
folder fsync), and go on with the next file. The loop thread sees a download twice: when it is
queued and in the batch that reports it done (saved: synced and renamed).

Only the plainest case is done here: a URL sent as it is, no proxy configured, no ``.part`` of
the job to resume, and a 200 answer of known length up to ``max_body``. Anything else comes back
as a ``FALLBACK`` before a byte is saved, and the manager runs the download the general way
(``transfer.py``), which keeps every rule: redirects hop by hop with the key only on the API's
origin, refreshed links, Range resumes, decoding, retries with backoff. The request headers
(and so the key) come from the manager's ``headers(url)``, which applies ``api/urls.py``'s
``with_key`` at the moment of the request.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
import urllib.request
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit

from jobmonitor.api.errors import InsecureUrl
from jobmonitor.api.urls import check_url_security, origin_of
from jobmonitor.core.downloads import groupsave, partfile
from jobmonitor.core.downloads.filenames import choose_filename
from jobmonitor.core.downloads.groupsave import Filed, GroupSaver, Written
from jobmonitor.core.downloads.model import Download
from jobmonitor.core.downloads.partfile import PartOpener
from jobmonitor.core.downloads.quickfolders import FolderLooks
from jobmonitor.core.downloads.wire import (
    Connection,
    NotQuick,
    Stale,
    host_header,
    request_target,
)

log = logging.getLogger(__name__)

FRAME = 0.016  # outcomes reach the loop at most once per frame: one model update per batch
KEEP_IDLE = 30.0  # a worker with nothing to do closes its connections after this long


class Outcome(StrEnum):
    DONE = "done"  # saved under its final name (synced, renamed, its folder synced)
    FALLBACK = "fallback"  # nothing saved: the general path takes it (``reason`` says why)
    CANCELLED = "cancelled"  # nothing saved: cancelled before its file was written
    DISK_ERROR = "disk error"  # the body came, the disk refused it (``error``)


class QuickItem:
    """A download in the lane. ``download`` is for the loop thread only; the rest is shared
    under the lane's lock."""

    __slots__ = ("cancelled", "conn", "download", "folder", "job_id", "received", "running", "url")

    def __init__(self, download: Download) -> None:
        self.download = download
        self.job_id, self.url, self.folder = download.job_id, download.url, download.folder
        self.running = False  # a worker took it
        self.cancelled = False
        self.received = 0  # body bytes so far (written by the worker; read for progress)
        self.conn: Connection | None = None  # while its request runs, to interrupt it


@dataclass(slots=True)
class Result:
    item: QuickItem
    outcome: Outcome
    reason: str = ""
    name: str | None = None
    path: Path | None = None
    size: int = 0
    error: OSError | None = None


@dataclass(frozen=True, slots=True)
class QuickSettings:
    """What the lane needs beyond the manager: the trust for https, and its bounded waits."""

    ssl_context: Callable[[], ssl.SSLContext]  # asked at each new connection (it may change)
    connect_timeout: float = 10.0
    read_timeout: float = 20.0  # the longest wait for any byte
    total_timeout: float = 60.0  # the longest a file may take here; then the general path
    workers: int | None = None  # None: the manager's slot count


class QuickLane:
    """Worker threads that fetch and save small files; ``deliver`` gets the outcomes on the
    loop thread (via ``post_to_loop``, i.e. ``loop.call_soon_threadsafe``)."""

    def __init__(
        self,
        settings: QuickSettings,
        *,
        workers: int,
        max_body: int,
        headers: Callable[[str], dict[str, str]],
        opener: PartOpener,
        deliver: Callable[[list[Result]], None],
        post_to_loop: Callable[[Callable[[], None]], object],
        call_later: Callable[[float, Callable[[], None]], object],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._workers = workers
        self._max_body = max_body
        self._headers = headers
        self._opener = opener
        self._deliver = deliver
        self._post_to_loop = post_to_loop
        self._call_later = call_later
        self._clock = clock
        self._cond = threading.Condition()
        self._queue: deque[QuickItem] = deque()
        self._running: set[QuickItem] = set()
        self._outbox: list[Result] = []
        self._posted = False  # a delivery is on its way to the loop
        self._last_delivery = float("-inf")
        self._threads: list[threading.Thread] = []
        self._closed = False
        self._folders = FolderLooks(clock)  # made, resolved, resume records: once per folder
        # httpx honours the proxy environment; a socket of ours would not: then no quick lane.
        proxies = urllib.request.getproxies()
        self.enabled = not any(proxies.get(s) for s in ("http", "https", "all"))
        self.saver = GroupSaver(self._saved, syncfs=groupsave.SYNCFS)
        self.stats: Counter[str] = Counter()  # connections made, fallback reasons (tests, logs)

    # -- the loop thread's side ------------------------------------------------------------

    def submit(self, download: Download) -> QuickItem:
        item = QuickItem(download)
        with self._cond:
            self._queue.append(item)
            if len(self._threads) < min(self._workers, len(self._queue) + len(self._running)):
                self._start_thread()
            self._cond.notify()
        return item

    def cancel(self, item: QuickItem) -> bool:
        """True: it had not started and never will; False: a worker has it (its request is
        interrupted) and its outcome will say what happened."""
        with self._cond:
            item.cancelled = True
            if not item.running:
                with contextlib.suppress(ValueError):
                    self._queue.remove(item)
                return True
            conn = item.conn
        if conn is not None:
            conn.interrupt()
        return False

    @property
    def closed(self) -> bool:
        return self._closed

    def in_flight(self) -> list[QuickItem]:
        with self._cond:
            return list(self._running)

    def close(self) -> list[QuickItem]:
        """Stop: returns the items that never started; running ones are interrupted and still
        report their outcome. The threads end once their current file is done."""
        with self._cond:
            self._closed = True
            waiting = list(self._queue)
            self._queue.clear()
            conns = []
            for item in self._running:
                item.cancelled = True
                if item.conn is not None:
                    conns.append(item.conn)
            self._cond.notify_all()
        for conn in conns:
            conn.interrupt()
        return waiting

    def _start_thread(self) -> None:
        thread = threading.Thread(
            target=self._work, name=f"download-quick-{len(self._threads)}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _deliver_now(self) -> None:
        with self._cond:
            batch, self._outbox = self._outbox, []
            self._posted = False
            self._last_delivery = self._clock()
        if batch:
            self._deliver(batch)

    def _schedule(self) -> None:
        """On the loop thread: deliver now, or when a frame has passed since the last one."""
        wait = self._last_delivery + FRAME - self._clock()
        if wait <= 0:
            self._deliver_now()
        else:
            self._call_later(wait, self._deliver_now)

    # -- the workers' side -----------------------------------------------------------------

    def _post(self, *results: Result) -> None:
        with self._cond:
            for result in results:
                self._outbox.append(result)
                self._running.discard(result.item)
                if result.outcome is Outcome.FALLBACK:
                    self.stats[f"fallback: {result.reason}"] += 1
            if self._posted:
                return
            self._posted = True
        try:
            self._post_to_loop(self._schedule)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            log.debug("quick lane: an outcome after the loop closed")

    def _work(self) -> None:
        conns: dict[str, Connection] = {}
        try:
            while True:
                with self._cond:
                    while not self._queue and not self._closed:
                        if not self._cond.wait(KEEP_IDLE):
                            _close_all(conns)  # idle: let the servers forget us
                    if self._closed:
                        return
                    item = self._queue.popleft()
                    item.running = True
                    self._running.add(item)
                try:
                    result = self._fetch(item, conns)
                except Exception as exc:  # a bug here must not lose the download
                    log.exception("quick lane: unexpected failure for job %s", item.job_id)
                    result = Result(item, Outcome.FALLBACK, f"unexpected {type(exc).__name__}")
                if result is not None:  # None: written, the saver reports it
                    self._post(result)
        finally:
            _close_all(conns)

    def _fetch(self, item: QuickItem, conns: dict[str, Connection]) -> Result | None:
        """The file's outcome, or None once it is written and handed to the saver."""
        url = item.url
        try:
            check_url_security(url)
            parts = urlsplit(url)
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except (InsecureUrl, ValueError):
            return Result(item, Outcome.FALLBACK, "an address for the general path to judge")
        target = request_target(parts.path, parts.query)
        host = host_header(parts.netloc)
        if not self.enabled or target is None or host is None or parts.hostname is None:
            return Result(item, Outcome.FALLBACK, "not a plain address, or a proxy is set")
        if self._folders.has_record(item.folder, item.job_id):
            return Result(item, Outcome.FALLBACK, "a .part to resume")
        origin = origin_of(url)
        deadline = self._clock() + self._settings.total_timeout
        for attempt in (1, 2):
            conn = conns.pop(origin, None)
            context = self._settings.ssl_context() if parts.scheme == "https" else None
            if conn is not None and conn.context is not context:  # the trust changed
                conn.close()
                conn = None
            try:
                if conn is None:
                    self.stats["connections"] += 1
                    conn = Connection.open(
                        parts.hostname,
                        port,
                        host,
                        context=context,
                        timeout=self._settings.connect_timeout,
                    )
                with self._cond:
                    if item.cancelled:
                        conns[origin] = conn
                        return Result(item, Outcome.CANCELLED)
                    item.conn = conn
                answer = conn.get(
                    target,
                    self._headers(url),
                    max_body=self._max_body,
                    read_timeout=self._settings.read_timeout,
                    deadline=deadline,
                    received=lambda n: setattr(item, "received", n),
                )
            except Stale as exc:
                if conn is not None:
                    conn.close()
                if attempt == 1:
                    continue
                return self._gave_up(item, str(exc))
            except NotQuick as exc:
                if conn is not None:
                    conn.close()
                return self._gave_up(item, str(exc))
            except OSError as exc:  # refused, reset, a timeout, a certificate (ssl.SSLError)
                if conn is not None:
                    conn.close()
                return self._gave_up(item, f"{type(exc).__name__}: {exc}")
            finally:
                with self._cond:
                    item.conn = None
            if conn.reusable:
                conns[origin] = conn
            else:
                conn.close()
            break
        else:  # pragma: no cover - the loop always returns or breaks
            raise AssertionError("unreachable")
        name = choose_filename(
            url, answer.headers.get("content-disposition"), fallback=f"result-{item.job_id}"
        )
        return self._save(item, name, answer.body)

    def _gave_up(self, item: QuickItem, reason: str) -> Result:
        outcome = Outcome.CANCELLED if item.cancelled else Outcome.FALLBACK
        return Result(item, outcome, reason)

    def _save(self, item: QuickItem, name: str, body: bytearray) -> Result | None:
        """Written to its ``.part`` in the worker itself, then handed to the saver (None). The
        shared disk threads were tried for the writes: more threads than cores, and the window
        waited for the GIL between them (a third more CPU, stalls of 100 ms, the same time)."""
        folder = item.folder
        try:
            if item.cancelled:
                return Result(item, Outcome.CANCELLED)
            resolved = self._folders.resolved(folder)
            try:
                name, part = self._write(folder, name, body, resolved)
            except FileNotFoundError:  # the folder went away meanwhile: make it again
                self._folders.forget(folder)
                resolved = self._folders.resolved(folder)
                name, part = self._write(folder, name, body, resolved)
        except OSError as exc:
            return Result(item, Outcome.DISK_ERROR, name=name, error=exc)
        except Exception as exc:
            log.exception("quick lane: saving job %s's file failed unexpectedly", item.job_id)
            return Result(item, Outcome.FALLBACK, f"unexpected {type(exc).__name__}")
        self.saver.add(Written(item, resolved, name, part, len(body)))
        return None

    def _write(
        self, folder: Path, name: str, body: bytearray, resolved: Path
    ) -> tuple[str, partfile.PartFile]:
        return partfile.write_whole(folder, name, memoryview(body), self._opener, resolved=resolved)

    def _saved(self, group: list[Filed]) -> None:
        """On the saver's thread: a group is synced and renamed (or refused, or discarded)."""
        results = []
        for filed in group:
            written = filed.written
            item = written.owner
            assert isinstance(item, QuickItem)
            if filed.path is not None:
                outcome = Outcome.DONE
            elif filed.error is not None:
                outcome = Outcome.DISK_ERROR
            else:
                outcome = Outcome.CANCELLED
            results.append(
                Result(
                    item,
                    outcome,
                    name=written.name,
                    path=filed.path,
                    size=written.size,
                    error=filed.error,
                )
            )
        self._post(*results)


def _close_all(conns: dict[str, Connection]) -> None:
    for conn in conns.values():
        conn.close()
    conns.clear()
