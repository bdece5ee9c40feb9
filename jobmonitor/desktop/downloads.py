"""The desktop app's downloads: the manager and its dock, Download / Download all, and the record
of where each job's result file was saved (kept in the watch-list database across sessions).

Part of the composition root (``desktop.py`` builds one and hands it the API of each session).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor, Future
from pathlib import Path

import httpx
from PySide6.QtWidgets import QDockWidget

from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadProgress, DownloadState
from jobmonitor.core.downloads.quick import QuickSettings
from jobmonitor.core.settings import Settings
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.records import SavedFile
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui.actions import themed_icon
from jobmonitor.ui.downloads_panel import DownloadsPanel
from jobmonitor.ui.icons import action_icon
from jobmonitor.ui.job_text import result_file_url
from jobmonitor.ui.main_window import MainWindow

log = logging.getLogger(__name__)

_NOT_AGAIN = (DownloadState.QUEUED, DownloadState.SAVING, DownloadState.DONE)
# Downloads started per event-loop turn by Download all: 1,000 started in one turn held the
# window up for a fifth of a second.
START_SLICE = 64


class DesktopDownloads:
    """Downloads for the window; ``attach`` is called with each API session's origin."""

    def __init__(
        self,
        *,
        window: MainWindow,
        settings: Settings,
        watchlist: WatchList,
        store: JobStore,
        db_thread: Executor,
        http_for: Callable[[str], httpx.AsyncClient],
        api_key: Callable[[], str | None],
        result_url: Callable[[str], Awaitable[str | None]],
        ssl_context: Callable[[], ssl.SSLContext] | None = None,
    ) -> None:
        """``ssl_context``: the trust of the HTTP pool, for the quick lane's own connections
        (small files fetched on worker threads); None: every download goes through httpx."""
        self._window = window
        self._settings = settings
        self._watchlist = watchlist
        self._store = store
        self._db_thread = db_thread
        self._http_for = http_for
        self._api_key = api_key
        self._result_url = result_url
        self._ssl_context = ssl_context
        self.saved = store.load_saved()  # result files saved before, by job id
        self.manager: DownloadManager | None = None
        # The downloads not finished yet, kept as they change: asking every download on every
        # progress update was a million steps for Download all of 1,000 files.
        self._running: set[str] = set()
        self._to_start: dict[str, tuple[str, Path]] = {}  # Download all's next slices, in order
        self._slice: asyncio.Handle | None = None
        self.dock: QDockWidget | None = None
        window.details.download_requested.connect(self.start)
        window.details.saved_file = self.saved_file
        window.job_actions.download_all_requested.connect(self.download_all_finished)

    def attach(self, api_origin: str) -> None:
        """The app polls this API now: built on the first call, and afterwards its key goes
        only to the new API's files, never to the files of the one before."""
        if self.manager is not None:
            self.manager.set_api_origin(api_origin)
            return
        quick = QuickSettings(self._ssl_context) if self._ssl_context is not None else None
        self.manager = DownloadManager(
            self._http_for, api_origin, self._api_key, self._result_url, quick=quick
        )
        self.manager.add_listener(self._on_progress)
        self.manager.add_batch_listener(self._on_ended)
        panel = DownloadsPanel(self.manager)
        icon = themed_icon(self._window, "folder-download")
        if icon.isNull():  # no icon theme: the app's own, like the rest of the toolbar
            icon = action_icon("action-downloads")
        self.dock = self._window.add_panel(panel, "Downloads", "Ctrl+J", icon)

    def saved_file(self, job_id: str) -> SavedFile | None:
        """The result file saved for ``job_id`` (in any session), if it is still there as saved."""
        saved = self.saved.get(job_id)
        return saved if saved is not None and saved.exists() else None

    def start(self, job_id: str, url: str) -> None:
        if self.manager is None:
            return
        self.manager.start(job_id, url, self._settings.download_dir)
        self._show()
        self._window.statusBar().showMessage(
            f"Downloading the result of {job_id} to {self._settings.download_dir}…", 6000
        )

    def download_one(self, job_id: str) -> bool:
        """Start saving one succeeded job's file unless it is saved or on its way already."""
        job = self._watchlist.get(job_id)
        url = result_file_url(job) if job is not None and self.manager is not None else None
        if url is None or self.manager is None:
            return False
        current = self.manager.get(job_id)
        if job_id in self._to_start or (current is not None and current.state in _NOT_AGAIN):
            return False
        if current is None and self.saved_file(job_id) is not None:
            return False
        self.start(job_id, url)
        return True

    def download_all_finished(self) -> list[str]:
        """Start the download of every succeeded job's file not already saved (now or in an
        earlier session, and still there) or being saved (a failed or cancelled one starts
        again, resuming its ``.part``)."""
        manager = self.manager
        status = self._window.statusBar()
        if manager is None:
            status.showMessage("Downloads need a working base URL (Settings).")
            return []
        started: list[str] = []
        # Read once: a QSettings read and a new Path per job were half of the click's 50 ms
        # over 1,000 finished jobs.
        folder = self._settings.download_dir
        for job in self._watchlist.jobs():
            url = result_file_url(job)
            if url is None:
                continue
            current = manager.get(job.job_id)
            if job.job_id in self._to_start:
                continue  # a slice still to come starts it
            if current is not None and current.state in _NOT_AGAIN:
                continue
            if current is None and self.saved_file(job.job_id) is not None:
                continue  # saved in an earlier session and still there
            self._to_start[job.job_id] = (url, folder)
            started.append(job.job_id)
        self._start_slice()
        n = len(started)
        if n:
            self._show()
            files = f"{n} result file{'s' if n != 1 else ''}"
            text = f"Downloading {files} to {folder}…"
        else:
            text = "Every finished job's result file is already downloaded or on its way."
        status.showMessage(text, 8000)
        return started

    def _start_slice(self) -> None:
        """Start the next ``START_SLICE`` downloads of Download all; the rest on the next turn."""
        self._slice = None
        manager = self.manager
        for _ in range(min(START_SLICE, len(self._to_start))):
            job_id = next(iter(self._to_start))
            url, folder = self._to_start.pop(job_id)
            if manager is not None:
                manager.start(job_id, url, folder)
        if self._to_start:
            self._slice = asyncio.get_running_loop().call_soon(self._start_slice)

    async def aclose(self) -> None:
        """Stop every running download; each keeps its ``.part`` for the next session."""
        if self._slice is not None:
            self._slice.cancel()
            self._slice = None
        self._to_start.clear()
        if self.manager is not None:
            await self.manager.aclose()

    def _show(self) -> None:
        if self.dock is not None:
            self.dock.show()
            self.dock.raise_()

    def _on_progress(self, progress: DownloadProgress) -> None:
        if progress.state.terminal:
            self._running.discard(progress.job_id)
        else:
            self._running.add(progress.job_id)
        if progress.state.terminal and not self._running:
            status = self._window.statusBar()  # "Downloading … to …" is over: say no more
            if status.currentMessage().startswith("Downloading "):
                status.clearMessage()

    def _on_ended(self, ended: list[DownloadProgress]) -> None:
        """Downloads that ended together (a batch of the quick lane): where each file was
        saved goes to the database in one transaction, not one per file."""
        now = time.time()
        saved = [
            SavedFile(p.job_id, p.path, p.bytes_done, now)
            for p in ended
            if p.state is DownloadState.DONE and p.path is not None
        ]
        if not saved:
            return
        for record in saved:
            self.saved[record.job_id] = record
        try:
            self._db_thread.submit(self._store.record_saved_many, saved).add_done_callback(
                _log_failure
            )
        except RuntimeError:  # shutting down: the files are saved, only the record is lost
            log.info("not recorded (closing): %d saved result files", len(saved))
        details = self._window.details
        if details.job is not None and any(r.job_id == details.job.job_id for r in saved):
            details.refresh()


def _log_failure(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("could not record a saved result file: %s", future.exception())
