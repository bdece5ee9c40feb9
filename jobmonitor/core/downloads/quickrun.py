"""The download manager's side of the quick lane (``quick.py``): which downloads are in it, how
they show while in flight, and what each outcome means for the download; on the loop thread.

A download the lane hands back (``FALLBACK``) goes the general way through ``general``; the
manager remembers that job and never sends it to the lane again in this session (its ``.part``
and record, if the general way leaves them, are resumed there).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

from jobmonitor.core.downloads.model import Download, DownloadState, describe_disk_error
from jobmonitor.core.downloads.partfile import PartOpener
from jobmonitor.core.downloads.quick import Outcome, QuickItem, QuickLane, QuickSettings, Result

log = logging.getLogger(__name__)

QUICK_PROGRESS = 0.25  # how often the files in flight show their bytes so far
CLOSE_WAIT = 15.0  # aclose waits this long for the files in flight (interrupted, they end soon)


class Host(Protocol):
    """What the manager lends the quick run."""

    def _set(self, dl: Download, state: DownloadState, message: str) -> None: ...
    def _tick(self, dl: Download) -> None: ...
    def _run_general(self, dl: Download) -> None: ...
    def _as_batch(self, apply: Callable[[], object]) -> None: ...


class QuickRun:
    """The lane (made at the first download, on the running loop) and its downloads."""

    def __init__(
        self,
        settings: QuickSettings,
        host: Host,
        *,
        workers: int,
        max_body: int,
        headers: Callable[[str], dict[str, str]],
        opener: PartOpener,
    ) -> None:
        self._settings = settings
        self._host = host
        self._workers = settings.workers or workers
        self._max_body = max_body
        self._headers = headers
        self._opener = opener
        self.lane: QuickLane | None = None
        self._items: dict[str, QuickItem] = {}  # job id -> its download in the lane
        self._poll: asyncio.TimerHandle | None = None

    def take(self, download: Download) -> bool:
        """Queue ``download`` in the lane; False when the lane is off (a proxy is set)."""
        lane = self.lane
        if lane is None or lane.closed:
            loop = asyncio.get_running_loop()
            self.lane = lane = QuickLane(
                self._settings,
                workers=self._workers,
                max_body=self._max_body,
                headers=self._headers,
                opener=self._opener,
                deliver=self._deliver,
                post_to_loop=loop.call_soon_threadsafe,
                call_later=loop.call_later,
            )
        if not lane.enabled:
            return False
        self._items[download.job_id] = lane.submit(download)
        self._watch()
        return True

    def cancel(self, download: Download) -> bool | None:
        """None: not in the lane. Else True (the outcome comes now or with its batch)."""
        item = self._items.get(download.job_id)
        if item is None or item.download is not download or self.lane is None:
            return None  # (an item of a closed lane is settled by aclose)
        download.discard = True
        if self.lane.cancel(item):  # it never started: nothing to wait for
            del self._items[download.job_id]
            self._host._set(download, DownloadState.CANCELLED, "Cancelled")
        return True

    async def aclose(self) -> None:
        """Stop the lane: what never started is cancelled, what is in flight is interrupted
        and reports (waited for up to ``CLOSE_WAIT``); the next download makes a new lane."""
        lane = self.lane
        if lane is None or lane.closed:
            return
        for item in lane.close():
            self._items.pop(item.job_id, None)
            self._host._set(item.download, DownloadState.CANCELLED, "Cancelled")
        flying = [asyncio.ensure_future(i.download.wait()) for i in self._items.values()]
        if flying:
            await asyncio.wait(flying, timeout=CLOSE_WAIT)
        for item in list(self._items.values()):
            self._host._set(item.download, DownloadState.CANCELLED, "Cancelled")
        self._items.clear()

    def _deliver(self, batch: list[Result]) -> None:
        def apply() -> None:
            for result in batch:
                self._apply(result)

        self._host._as_batch(apply)

    def _apply(self, result: Result) -> None:
        item = result.item
        dl = item.download
        if self._items.get(dl.job_id) is not item:
            return  # settled already (aclose gave up waiting for it)
        del self._items[dl.job_id]
        outcome = result.outcome
        if outcome is Outcome.FALLBACK and item.cancelled:
            outcome = Outcome.CANCELLED
        host = self._host
        if outcome is Outcome.DONE and result.path is not None:
            dl.name, dl.path = result.name, result.path
            dl.total = dl.received = item.received = result.size
            host._set(dl, DownloadState.DONE, f"Saved as {result.path.name}")
        elif outcome is Outcome.DISK_ERROR and result.error is not None:
            dl.name, dl.received = result.name, 0  # nothing is kept of a small file
            host._set(dl, DownloadState.FAILED, describe_disk_error(result.error, dl))
        elif outcome is Outcome.CANCELLED:
            dl.received = 0
            host._set(dl, DownloadState.CANCELLED, "Cancelled")
        else:
            log.debug("job %s goes the general way: %s", dl.job_id, result.reason)
            dl.received = 0
            host._run_general(dl)

    def _watch(self) -> None:
        if self._poll is None:
            self._poll = asyncio.get_running_loop().call_later(QUICK_PROGRESS, self._progress)

    def _progress(self) -> None:
        """The files in flight show as saving, with their bytes so far (a 1 MiB file on a slow
        link takes a while; Download all's 100 KB files are mostly done before they show)."""
        self._poll = None
        lane = self.lane
        for item in lane.in_flight() if lane is not None else []:
            dl = item.download
            if dl.state is DownloadState.QUEUED:
                self._host._set(dl, DownloadState.SAVING, "Saving…")
            if item.received != dl.received:
                dl.received = item.received
                self._host._tick(dl)
        if self._items:
            self._watch()
