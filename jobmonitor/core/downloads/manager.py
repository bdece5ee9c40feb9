"""Result-file downloads: streamed to ``NAME.part``, fsynced, renamed; resumed, retried, refreshed.

::

    start(job_id, url, folder)
      QUEUED --(a slot is free)--> SAVING --> DONE       fsynced and renamed: the file is complete
                                     |  |--> FAILED     the message says why; the .part is kept
                                     |  '--> CANCELLED  cancel() removes the .part; aclose() keeps it
                                     '-- transient fault: wait (capped backoff), resume with Range

Memory stays flat: the body is streamed and handed to the download's disk lane (``writer.py``)
in ``write_size`` pieces, one piece in flight at a time, so the event loop never waits on the
disk. A slot (``max_parallel``) bounds the connections: a download leaves it when its body is in,
before the fsync and rename. The API key travels
only to the API's own origin (checked at every redirect), and only over HTTPS or to loopback.

With ``quick`` settings a download goes to the quick lane first (``quick.py``, ``quickrun.py``:
worker threads on kept-alive connections, outcomes in batches at most once per frame), which
takes the plain small files and hands anything else back before a byte is saved; that one then
runs here, the general way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from jobmonitor import __version__
from jobmonitor.api.errors import ApiError
from jobmonitor.api.urls import origin_of, with_key

# core.http sets httpcore's socket read size, once, for the whole process (see there): a
# manager driven by clients made elsewhere (tests, benchmarks) gets the same fast reads.
from jobmonitor.core import http as _http_policy  # noqa: F401
from jobmonitor.core.downloads import partfile
from jobmonitor.core.downloads.model import (
    Download,
    DownloadError,
    DownloadProgress,
    DownloadState,
    human_size,
)
from jobmonitor.core.downloads.partfile import PartOpener, open_part_file
from jobmonitor.core.downloads.quick import QuickLane, QuickSettings
from jobmonitor.core.downloads.quickrun import QuickRun
from jobmonitor.core.downloads.transfer import (
    WHOLE_MAX,
    Refused,
    StartOver,
    Transfer,
    Transient,
)
from jobmonitor.core.downloads.writer import on_disk

log = logging.getLogger(__name__)

WRITE_SIZE = 4 * 1024 * 1024  # each of the two write buffers (tuned with bench_download.py)

Listener = Callable[[DownloadProgress], None]
BatchListener = Callable[[list[DownloadProgress]], None]


class DownloadManager:
    """Runs downloads as asyncio tasks it owns; tells listeners about every change of progress.

    ``http_for(url)`` gives the client for a URL's origin (one per origin, owned by the caller).
    ``refresh_url(job_id)`` fetches the job again and returns its current file URL (or None).
    ``api_key()`` may be called from the quick lane's threads (it reads, never blocks).
    """

    def __init__(
        self,
        http_for: Callable[[str], httpx.AsyncClient],
        api_origin: str,
        api_key: Callable[[], str | None],
        refresh_url: Callable[[str], Awaitable[str | None]],
        *,
        max_parallel: int = 3,
        max_retries: int = 6,
        backoff: float = 1.0,
        backoff_cap: float = 30.0,
        write_size: int = WRITE_SIZE,
        progress_interval: float = 0.1,
        open_part: PartOpener = open_part_file,
        clock: Callable[[], float] = time.monotonic,
        quick: QuickSettings | None = None,
    ) -> None:
        self._refresh_url = refresh_url
        self._api_key = api_key
        self._quick = None
        if quick is not None:
            self._quick = QuickRun(
                quick,
                self,
                workers=max_parallel,
                max_body=WHOLE_MAX,
                headers=self._quick_headers,
                opener=open_part,
            )
        self._general: set[str] = set()  # jobs that went the general way: never quick again
        self._batch_listeners: list[BatchListener] = []
        self._ended: list[DownloadProgress] | None = None  # while a batch is applied
        self.max_parallel = max_parallel
        self._slots = asyncio.Semaphore(max_parallel)
        self._max_retries = max_retries
        self._backoff = backoff
        self._backoff_cap = backoff_cap
        self._interval = progress_interval
        self._transfer = Transfer(
            http_for=http_for,
            api_origin=api_origin,
            api_key=api_key,
            open_part=open_part,
            write_size=write_size,
            report=self._set,
            tick=self._tick,
            received=self._free_slot,
        )
        self._in_slot: set[Download] = set()
        self._clock = clock
        self._random = random.Random()
        self._listeners: list[Listener] = []
        self._downloads: dict[str, Download] = {}

    # -- public interface ------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(listener)

    def add_batch_listener(self, listener: BatchListener) -> None:
        """``listener`` gets the downloads that ended (done, failed, cancelled) together: the
        quick lane's in one call per batch, after each one's progress went to the listeners;
        one of the general way alone."""
        self._batch_listeners.append(listener)

    @property
    def quick(self) -> QuickLane | None:
        """The quick lane, once a download used it (its ``stats`` count connections and
        fallbacks)."""
        return self._quick.lane if self._quick is not None else None

    @property
    def api_origin(self) -> str:
        """The origin whose file URLs get the API key (only ever that one)."""
        return self._transfer.api_origin

    def set_api_origin(self, api_url: str) -> None:
        """The app now talks to another API: its key goes to that origin's files only, from the
        next request on (a running download's next request included)."""
        self._transfer.api_origin = origin_of(api_url)

    @property
    def downloads(self) -> list[Download]:
        return list(self._downloads.values())

    def get(self, job_id: str) -> Download | None:
        return self._downloads.get(job_id)

    def start(self, job_id: str, url: str, folder: Path | str) -> Download:
        """Start (or resume, if a ``.part`` of this job is in ``folder``) a download.

        Returns the running download when this job already has one. Needs a running loop.
        """
        current = self._downloads.get(job_id)
        if current is not None and not current.state.terminal:
            return current
        # Absolute: the resume record stores absolute paths, and a relative folder would never
        # match them (and would change meaning if the working directory did).
        path = folder if isinstance(folder, Path) else Path(folder)  # no copy: 1,000 a click
        download = Download(job_id, url, path if path.is_absolute() else path.absolute())
        self._downloads[job_id] = download
        quick = self._quick
        if quick is None or job_id in self._general or not quick.take(download):
            self._run_general(download)
        self._emit(download)
        return download

    def _run_general(self, download: Download) -> None:
        self._general.add(download.job_id)
        task = asyncio.get_running_loop().create_task(
            self._run(download), name=f"download {download.job_id}"
        )
        download.task = task
        # Cancelled before its first step, _run never ran to say so: said here.
        task.add_done_callback(lambda _t: self._ended_quietly(download))

    def retry(self, job_id: str) -> Download | None:
        """Start a failed or cancelled download again (it resumes from its ``.part``)."""
        old = self._downloads.get(job_id)
        if old is None or old.state not in (DownloadState.FAILED, DownloadState.CANCELLED):
            return None
        return self.start(job_id, old.url, old.folder)

    def cancel(self, job_id: str) -> bool:
        """Stop a download and remove its ``.part``. False when there is nothing to cancel."""
        download = self._downloads.get(job_id)
        if download is None or download.state.terminal:
            return False
        if self._quick is not None and self._quick.cancel(download) is not None:
            return True
        if download.task is None:
            return False
        download.discard = True
        download.task.cancel()
        return True

    async def aclose(self) -> None:
        """Stop every download, keeping each ``.part`` so a later run resumes it."""
        if self._quick is not None:
            await self._quick.aclose()
        tasks = [d.task for d in self._downloads.values() if d.task is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    # -- one download ----------------------------------------------------------------------

    async def _run(self, dl: Download) -> None:
        try:
            await self._slots.acquire()
            self._in_slot.add(dl)
            try:
                self._set(dl, DownloadState.SAVING, "Connecting…")
                await self._download(dl)
            finally:
                self._free_slot(dl)
        except asyncio.CancelledError:
            # The task is ours and cancel()/aclose() are the only ways it is cancelled: record
            # the outcome and end quietly instead of propagating.
            if dl.discard and dl.name is not None:
                with contextlib.suppress(OSError):
                    await on_disk(partfile.discard, dl.folder, dl.name)
                self._set(dl, DownloadState.CANCELLED, "Cancelled")
            elif dl.discard or dl.name is None:
                self._set(dl, DownloadState.CANCELLED, "Cancelled")
            else:
                self._set(
                    dl,
                    DownloadState.CANCELLED,
                    f"Stopped; the {human_size(dl.received)} saved so far resume next time",
                )
        except DownloadError as exc:
            self._set(dl, DownloadState.FAILED, exc.message)
        except Exception as exc:
            log.exception("download of job %s failed unexpectedly", dl.job_id)
            self._set(dl, DownloadState.FAILED, f"Unexpected error: {type(exc).__name__}: {exc}")

    async def _download(self, dl: Download) -> None:
        meta = await on_disk(partfile.find_meta, dl.folder, dl.job_id)
        if meta is not None:
            dl.meta, dl.name, dl.total = meta, meta.name, meta.total
            dl.owns_part = True  # its resume record names this job
        refreshed = False
        failures = start_overs = 0
        while True:
            before = dl.received
            try:
                await self._transfer.attempt(dl)
                return
            except Refused as exc:
                if refreshed:
                    raise DownloadError(_refused_message(exc.status, after_refresh=True)) from None
                refreshed = True
                self._set(
                    dl,
                    DownloadState.SAVING,
                    f"The download link was refused (HTTP {exc.status}); getting a fresh one…",
                )
                fresh = await self._fresh_url(dl.job_id)
                if not fresh:
                    raise DownloadError(_refused_message(exc.status, after_refresh=False)) from None
                dl.url = fresh
            except StartOver as exc:
                start_overs += 1
                if start_overs > 2:
                    raise DownloadError(f"The file keeps changing on the server ({exc}).") from None
                dl.restart = True
                self._set(dl, DownloadState.SAVING, f"Starting over: {exc}")
            except Transient as exc:
                failures = 1 if dl.received > before else failures + 1
                if failures > self._max_retries:
                    kept = (
                        f" The {human_size(dl.received)} saved so far are kept; download again "
                        "to continue."
                        if dl.received
                        else ""
                    )
                    raise DownloadError(f"{exc} (gave up after {failures} tries).{kept}") from None
                delay = self._delay(failures, exc.retry_after)
                self._set(dl, DownloadState.SAVING, f"{exc}; trying again in {delay:.0f} s…")
                await asyncio.sleep(delay)
                self._set(dl, DownloadState.SAVING, "Resuming…" if dl.received else "Trying again…")

    async def _fresh_url(self, job_id: str) -> str | None:
        try:
            return await self._refresh_url(job_id)
        except ApiError as exc:
            log.info("could not refresh the file URL of job %s: %s", job_id, exc)
            return None

    def _delay(self, failures: int, retry_after: float | None) -> float:
        delay = min(self._backoff_cap, self._backoff * 2.0 ** (failures - 1))
        delay *= self._random.uniform(0.5, 1.0)  # jitter: many downloads do not retry in step
        if retry_after is not None:
            delay = max(delay, min(retry_after, self._backoff_cap * 4))
        return delay

    def _free_slot(self, dl: Download) -> None:
        """The body is in (or the download over): the next download may connect while this
        one's fsync and rename run. A slot bounds connections, not the disk's last steps; held
        to the end, each file's fsync was a pause in the network (Download all of 1,000 small
        files spent most of its time in them)."""
        if dl in self._in_slot:
            self._in_slot.discard(dl)
            self._slots.release()

    # -- progress --------------------------------------------------------------------------

    def _tick(self, dl: Download) -> None:
        now = self._clock()
        if now - dl.last_emit >= self._interval:
            dl.speed.add(now, dl.received)  # sampled at emissions only: a handful per second
            self._emit(dl)

    def _set(self, dl: Download, state: DownloadState, message: str) -> None:
        dl.state, dl.message = state, message
        self._emit(dl)

    def _emit(self, dl: Download) -> None:
        dl.last_emit = self._clock()
        dl.progress = progress = dl.snapshot()
        for listener in list(self._listeners):
            try:
                listener(progress)
            except Exception:
                log.exception("a download listener failed")
        if progress.state.terminal:
            dl.settle()
            if self._ended is not None:
                self._ended.append(progress)
            else:
                self._tell_batch([progress])

    def _as_batch(self, apply: Callable[[], object]) -> None:
        """Run ``apply`` (a quick batch's outcomes); the downloads it ends reach the batch
        listeners in one call."""
        self._ended = ended = list[DownloadProgress]()
        try:
            apply()
        finally:
            self._ended = None
        if ended:
            self._tell_batch(ended)

    def _tell_batch(self, ended: list[DownloadProgress]) -> None:
        for listener in list(self._batch_listeners):
            try:
                listener(ended)
            except Exception:
                log.exception("a download batch listener failed")

    def _ended_quietly(self, dl: Download) -> None:
        if not dl.state.terminal and self._downloads.get(dl.job_id) is dl:
            self._set(dl, DownloadState.CANCELLED, "Cancelled")

    def _quick_headers(self, url: str) -> dict[str, str]:
        """A quick request's headers, made in the worker at the moment of the request: the key
        only when ``url`` is on the API's origin now (``with_key``, as for every request)."""
        headers = {
            "user-agent": f"jobmonitor/{__version__}",
            "accept": "*/*",
            "accept-encoding": "identity",  # the bytes counted are the bytes saved
        }
        return with_key(headers, url, self._transfer.api_origin, self._api_key())


def _refused_message(status: int, *, after_refresh: bool) -> str:
    what = "expired or was refused" if status in (403, 410) else "points to no file"
    tail = (
        "The job was fetched again for a fresh link and it failed the same way."
        if after_refresh
        else "A fresh link could not be obtained from the API."
    )
    return (
        f"The download link {what} (HTTP {status}). {tail} The result may no longer be available."
    )
