"""Composition root of the desktop app: builds the store, network, scheduler and window, and wires them.

``app.run_gui`` owns the QApplication and the qasync loop; this class owns everything else and
takes it down in order in ``aclose`` (scheduler, downloads, HTTP clients, pending writes, store).
Tests build it directly on a temporary data folder.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDockWidget

from jobmonitor import APP_NAME
from jobmonitor.api.errors import InsecureUrl
from jobmonitor.core.api_session import HttpPool, PollingSession
from jobmonitor.core.credentials import CredentialStore
from jobmonitor.core.download_types import DownloadProgress, DownloadState
from jobmonitor.core.downloads import DownloadManager
from jobmonitor.core.polling import PollingController
from jobmonitor.core.settings import Settings
from jobmonitor.core.state import JobEvent
from jobmonitor.core.store import JobStore, SavedFile
from jobmonitor.core.watchlist import WatchList
from jobmonitor.ui.actions import themed_icon
from jobmonitor.ui.add_jobs import AddReport
from jobmonitor.ui.downloads_panel import DownloadsPanel
from jobmonitor.ui.icons import status_icon
from jobmonitor.ui.job_text import result_file_url
from jobmonitor.ui.main_window import MainWindow
from jobmonitor.ui.settings_dialog import SettingsDialog
from jobmonitor.ui.status_bar import ConnectionStatusWidget
from jobmonitor.ui.tray import TrayController

log = logging.getLogger(__name__)

DB_NAME = "jobs.db"
GC_FREEZE_MS = 20_000
TRAY_HINT = f"{APP_NAME} keeps watching in the tray; Quit from its menu or Ctrl+Q"
_NOT_AGAIN = (DownloadState.QUEUED, DownloadState.SAVING, DownloadState.DONE)


@dataclass(frozen=True, slots=True)
class DemoSetup:
    """What demo mode hands over: the simulator's URL, its key (memory only), and ids to watch."""

    base_url: str
    key: str
    job_ids: tuple[tuple[str, str], ...]  # (job id, label)


class DesktopApp(QObject):
    """Everything the window needs, built and wired; ``quit_requested`` when the user leaves."""

    quit_requested = Signal()

    def __init__(
        self,
        *,
        settings: Settings,
        data_dir: Path,
        credentials: CredentialStore | None = None,
        base_url: str | None = None,
        demo: DemoSetup | None = None,
        tray_available: bool | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.demo = demo
        self.credentials = credentials or CredentialStore()
        self._base_url_override = demo.base_url if demo else base_url
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self.tray_hint_given = False  # "keeps watching in the tray": once per session

        self.store = JobStore(data_dir / DB_NAME)
        self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobmonitor-db")
        self.watchlist = WatchList(self.store, executor=self._db_thread)
        self.saved = self.store.load_saved()  # result files saved before, by job id
        self.polling = PollingController(self)
        self.http = HttpPool()
        self.session: PollingSession | None = None

        self.window = MainWindow(
            self.watchlist,
            self.polling,
            base_url=lambda: self.base_url,
            icon_for=status_icon,
            demo=demo is not None,
        )
        self.status = ConnectionStatusWidget(self.window)
        self.window.add_status_widget(self.status)
        self.tray = TrayController(settings, self, tray_available=tray_available)
        self.downloads: DownloadManager | None = None
        self.downloads_dock: QDockWidget | None = None
        self._budget_timer = QTimer(self, interval=1000)
        self._budget_timer.timeout.connect(self._show_budget)
        # Long-lived records (thousands of jobs, their answers) would make every full garbage
        # collection walk them all: a 50 ms stall at 10,000 jobs. They hold no reference cycles
        # (reference counting frees them), so they are moved out of the collector's sight now
        # and then; gc.freeze() is O(1).
        self._gc_timer = QTimer(self, interval=GC_FREEZE_MS)
        self._gc_timer.timeout.connect(gc.freeze)
        self._wire()
        if self.store.notice:
            self.window.notice.show_message(self.store.notice)

    @property
    def base_url(self) -> str:
        return self.session.base_url if self.session else (self._base_url_override or "")

    def _wire(self) -> None:
        w, a = self.window, self.window.job_actions
        self.polling.api_status_changed.connect(self.status.set_api_status)
        self.polling.api_status_changed.connect(self.tray.set_api_status)
        self.polling.paused_changed.connect(self.tray.set_paused)
        w.model.counts_changed.connect(lambda: self.tray.set_states(w.model.state_counts))
        self.status.settings_requested.connect(self.open_settings)
        a.settings_requested.connect(self.open_settings)
        a.quit_requested.connect(self.quit_requested)
        a.download_all_requested.connect(self.download_all_finished)
        # With a tray icon to bring it back, closing the window hides it; else the app quits.
        w.hide_on_close = lambda: self.tray.can_bring_back and not self._closed
        w.hidden_to_tray.connect(self._hidden_to_tray)
        w.closed.connect(self.quit_requested)
        self.tray.quit_requested.connect(self.quit_requested)
        self.tray.pause_toggled.connect(self.polling.set_paused)
        self.tray.show_window_requested.connect(self.show_window)
        self.tray.job_activated.connect(self._show_job)
        w.details.download_requested.connect(self.start_download)
        w.details.saved_file = self.saved_file
        w.adder.reported.connect(self._after_add)

    # -- start-up --------------------------------------------------------------------------

    def start(self, *, add_text: str = "") -> None:
        """Restore the list, start polling, show the window (needs the running asyncio loop)."""
        if self.demo is not None:
            self._reset_demo_list()
        self.watchlist.load()
        self._start_session()
        if self.demo is not None:
            self._add_demo_jobs(self.demo)
        if add_text.strip():
            self.window.adder.add_text(add_text, source="the command line")
        self._budget_timer.start()
        gc.collect()
        gc.freeze()
        self._gc_timer.start()
        self.window.show()

    def _reset_demo_list(self) -> None:
        # Demo data is throw-away: each start watches the freshly built demo world.
        stale = [j.job_id for j in self.store.load_jobs()]
        if stale:
            self.store.remove(stale)

    def _add_demo_jobs(self, demo: DemoSetup) -> None:
        ids = self.watchlist.add(job_id for job_id, _ in demo.job_ids)
        labels = dict(demo.job_ids)
        for job_id in ids:
            self.watchlist.set_label(job_id, labels[job_id])

    def _start_session(self) -> None:
        url = self._base_url_override or self.settings.base_url
        try:
            session = PollingSession(
                self.http,
                url,
                api_key=self.demo.key if self.demo else None,
                rate_limit=self.settings.rate_limit,
                route_template=self.settings.route_template(url),
                on_route_learned=lambda route: self.settings.set_route_template(url, route),
            )
        except InsecureUrl as exc:
            self.window.notice.show_message(
                f"Polling is off: {exc.message}. Fix the base URL in Settings."
            )
            return
        self.session = session
        session.scheduler.add_listener(self._on_job_event)
        self.watchlist.attach_poller(session.scheduler)
        self.polling.attach(session.scheduler)
        session.start()
        if self.downloads is not None:
            # Another API now: its key must never go to the files of the one before.
            self.downloads.set_api_origin(session.origin)
        else:
            self.downloads = DownloadManager(
                self.http.for_url,
                session.origin,
                lambda: self.session.api_key if self.session else None,
                self._result_url,
            )
            self.downloads.add_listener(self._on_download)
            panel = DownloadsPanel(self.downloads)
            icon = themed_icon(self.window, "folder-download")
            self.downloads_dock = self.window.add_panel(panel, "Downloads", "Ctrl+J", icon)
        if self.demo is not None:
            self.credentials.keep_for_session(session.origin, self.demo.key)
        else:
            self._own(self._load_key(session))

    def _after_add(self, report: AddReport) -> None:
        if len(report.added) >= 1000:  # a big paste: out of the collector's sight at once
            gc.freeze()

    def _on_job_event(self, event: JobEvent) -> None:
        self.watchlist.on_event(event)
        job = self.watchlist.get(event.job_id)
        self.tray.on_job_event(event, job.label if job else None)

    async def _load_key(self, session: PollingSession) -> None:
        lookup = await self.credentials.get(session.origin)
        if session is self.session:
            session.scheduler.set_api_key(lookup.key if lookup.usable else None)
            if not lookup.usable:
                log.info("no usable API key for %s: %s", session.origin, lookup.message)

    def saved_file(self, job_id: str) -> SavedFile | None:
        """The result file saved for ``job_id`` (in any session), if it is still there as saved."""
        saved = self.saved.get(job_id)
        return saved if saved is not None and saved.exists() else None

    def _on_download(self, progress: DownloadProgress) -> None:
        if progress.state is not DownloadState.DONE or progress.path is None:
            return
        saved = SavedFile(progress.job_id, progress.path, progress.bytes_done, time.time())
        self.saved[progress.job_id] = saved
        try:
            self._db_thread.submit(self.store.record_saved, saved).add_done_callback(_log_failure)
        except RuntimeError:  # shutting down: the file is saved, only the record is lost
            log.info("not recorded (closing): the saved result of %s", progress.job_id)
        shown = self.window.details.job
        if shown is not None and shown.job_id == progress.job_id:
            self.window.details.refresh()

    async def _result_url(self, job_id: str) -> str | None:
        return await self.session.result_url(job_id) if self.session else None

    # -- actions the window and tray ask for -----------------------------------------------

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def _show_job(self, job_id: str) -> None:
        self.show_window()
        self.window.select_job(job_id)

    def _hidden_to_tray(self) -> None:
        if not self.tray_hint_given:
            self.tray_hint_given = True
            self.tray.show_message(APP_NAME, TRAY_HINT)

    def start_download(self, job_id: str, url: str) -> None:
        if self.downloads is None:
            return
        self.downloads.start(job_id, url, self.settings.download_dir)
        self._show_downloads()
        self.window.statusBar().showMessage(
            f"Downloading the result of {job_id} to {self.settings.download_dir}…", 6000
        )

    def download_all_finished(self) -> list[str]:
        """Start the download of every succeeded job's file not already saved (now or in an
        earlier session, and still there) or being saved (a failed or cancelled one starts
        again, resuming its ``.part``)."""
        manager = self.downloads
        if manager is None:
            self.window.statusBar().showMessage("Downloads need a working base URL (Settings).")
            return []
        started: list[str] = []
        for job in self.watchlist.jobs():
            url = result_file_url(job)
            if url is None:
                continue
            current = manager.get(job.job_id)
            if current is not None and current.state in _NOT_AGAIN:
                continue
            if current is None and self.saved_file(job.job_id) is not None:
                continue  # saved in an earlier session and still there
            manager.start(job.job_id, url, self.settings.download_dir)
            started.append(job.job_id)
        n = len(started)
        if n:
            self._show_downloads()
            files = f"{n} result file{'s' if n != 1 else ''}"
            text = f"Downloading {files} to {self.settings.download_dir}…"
        else:
            text = "Every finished job's result file is already downloaded or on its way."
        self.window.statusBar().showMessage(text, 8000)
        return started

    def _show_downloads(self) -> None:
        if self.downloads_dock is not None:
            self.downloads_dock.show()
            self.downloads_dock.raise_()

    def open_settings(self) -> None:
        dialog = SettingsDialog(
            self.settings,
            self.credentials,
            self.http.for_url,
            self.window,
            active_base_url=self.base_url or None,
        )
        dialog.key_changed.connect(lambda _origin: self._reload_key())
        dialog.rate_limit_changed.connect(self._set_rate_limit)
        dialog.base_url_changed.connect(lambda _url: self._own(self._switch_api()))
        dialog.open()

    def _reload_key(self) -> None:
        if self.session is not None and self.demo is None:
            self._own(self._load_key(self.session))

    def _set_rate_limit(self, limit: int | None) -> None:
        if self.session is not None:
            self.session.scheduler.set_rate_limit(limit)

    async def _switch_api(self) -> None:
        """A new base URL: a new client and scheduler; every job is checked again there, the
        finished ones too (what the old server said of a job says nothing of this one's)."""
        old, self.session = self.session, None
        self._base_url_override = None
        if old is not None:
            await old.aclose()
        self._start_session()
        self.polling.check_now(job.job_id for job in self.watchlist.jobs())

    def _show_budget(self) -> None:
        self.status.set_budget(*self.polling.budget_usage)

    # -- tasks and shutdown ----------------------------------------------------------------

    def _own(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            assert exc is not None
            log.error("background task failed", exc_info=exc)

    async def aclose(self) -> None:
        """Stop polling and downloads, close the HTTP clients, write what is pending, close."""
        if self._closed:
            return
        self._closed = True
        self._budget_timer.stop()
        self._gc_timer.stop()
        self.window.model.stop_timers()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.session is not None:
            await self.session.aclose()
        if self.downloads is not None:
            for download in self.downloads.downloads:
                if download.task is not None and not download.task.done():
                    download.task.cancel()
                    await asyncio.gather(download.task, return_exceptions=True)
        await self.http.aclose()
        self.tray.flush()
        self.tray.hide()
        self.watchlist.flush_now()
        self._db_thread.shutdown(wait=True)
        self.store.close()
        self.window.hide()
        self.window.deleteLater()


def _log_failure(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("could not record a saved result file: %s", future.exception())
