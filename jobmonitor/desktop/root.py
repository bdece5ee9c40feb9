"""Composition root of the desktop app: builds the store, network, scheduler and window, and wires them.

``app.run_gui`` owns the QApplication and the qasync loop; this class owns everything else and
takes it down in order in ``aclose`` (scheduler, downloads, HTTP clients, pending writes, store).
The polling session for the API in use (its key, budget memory, a base URL switch) is
``connection.ApiConnection``; notifications, trust, offline and appearance are ``citizen.Citizen``.
Tests build it directly on a temporary data folder.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QDockWidget

from jobmonitor import APP_NAME
from jobmonitor.core.autostart import Autostart
from jobmonitor.core.credentials.store import CredentialStore
from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.http import HttpPool, warm_up
from jobmonitor.core.polling.controller import PollingController
from jobmonitor.core.polling.session import PollingSession
from jobmonitor.core.settings import Settings
from jobmonitor.core.state import ApiCondition, JobEvent, JobState
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.desktop.citizen import Citizen, load_trust
from jobmonitor.desktop.collector import GuiThreadCollector
from jobmonitor.desktop.connection import ApiConnection
from jobmonitor.desktop.demo import DemoSetup
from jobmonitor.desktop.downloads import DesktopDownloads
from jobmonitor.desktop.inputs import DesktopInputs
from jobmonitor.desktop.instance import Launch
from jobmonitor.desktop.launches import add_from_launch, apply_launch, forget_activation_token
from jobmonitor.desktop.notify import DesktopNotifier, HiddenAlerts
from jobmonitor.desktop.submissions import DesktopSubmissions
from jobmonitor.ui.icons import status_icon
from jobmonitor.ui.main_window import MainWindow
from jobmonitor.ui.settings_dialog import SettingsDialog
from jobmonitor.ui.status_bar import ConnectionStatusWidget
from jobmonitor.ui.tray import TrayController

log = logging.getLogger(__name__)

DB_NAME = "jobs.db"
DEMO_HINT = (
    "Demo: File › New job (Ctrl+N) opens the sample inputs; submit one whose name starts with "
    "“broken-” to see its failure shown where it is, in the input."
)
# A saved list this short is read before the window shows; a longer one (100,000 jobs took 0.6 s
# of reading and 0.3 s of table) is read on the writer thread and fills the table after it shows.
SHOWN_WITH_WINDOW = 2_000
TRAY_HINT = f"{APP_NAME} keeps watching in the tray; Quit from its menu or Ctrl+Q"


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
        notify_service: bool | None = None,
        dark: bool = False,
    ) -> None:
        """``notify_service``: use the platform's notification service (None: where there is
        one); tests pass False unless they run a fake one. ``dark``: ``--dark``, beating the
        appearance setting."""
        super().__init__()
        self.settings = settings
        self.demo = demo
        self.credentials = credentials or CredentialStore()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False
        self.tray_hint_given = False  # "keeps watching in the tray": once per session

        self.store = JobStore(data_dir / DB_NAME)
        self._db_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobmonitor-db")
        self.watchlist = WatchList(self.store, executor=self._db_thread)
        self.polling = PollingController(self)
        trust, self._trust_notice = load_trust(settings.ca_bundle)
        self.http = HttpPool(verify=trust)
        self.api = ApiConnection(
            http=self.http,
            settings=settings,
            credentials=self.credentials,
            polling=self.polling,
            watchlist=self.watchlist,
            demo=demo,
            base_url=base_url,
            on_event=self._on_job_event,
            on_started=self._session_started,
            notice=lambda text: self.window.notice.show_message(text),
            own=self.own,
            on_keyed=lambda session: self.submissions.clean_leftovers(),
        )

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
        self.files = DesktopDownloads(
            window=self.window,
            settings=settings,
            watchlist=self.watchlist,
            store=self.store,
            db_thread=self._db_thread,
            http_for=self.http.for_url,
            api_key=lambda: self.api.api_key,
            result_url=self.api.result_url,
            ssl_context=lambda: self.http.verify,
        )
        self.inputs = DesktopInputs(window=self.window, store=self.store, db_thread=self._db_thread)
        self.submissions = DesktopSubmissions(
            window=self.window,
            watchlist=self.watchlist,
            inputs=self.inputs,
            http=self.http,
            session=lambda: self.session,
            store=self.store,
            db_thread=self._db_thread,
            start_folder=lambda: demo.samples if demo else None,
        )
        self._listening_downloads = False
        self._budget_timer = QTimer(self, interval=1000)
        self._budget_timer.timeout.connect(self._show_budget)
        self._collector = GuiThreadCollector(self)  # on the GUI thread only, and kept short
        self.citizen = Citizen(self, notify_service=notify_service, forced_dark=dark)
        self._wire()
        if self._trust_notice:
            self.window.notice.show_message(self._trust_notice)
        if self.store.notice:
            self.window.notice.show_message(self.store.notice)

    @property
    def notifier(self) -> DesktopNotifier:
        return self.citizen.notifier

    @property
    def alerts(self) -> HiddenAlerts:
        return self.citizen.alerts

    @property
    def session(self) -> PollingSession | None:
        return self.api.session

    @property
    def base_url(self) -> str:
        return self.api.base_url

    def _wire(self) -> None:
        w, a = self.window, self.window.job_actions
        self.polling.api_status_changed.connect(self.status.set_api_status)
        self.polling.api_status_changed.connect(
            lambda s: self.window.set_key_missing(s.condition is ApiCondition.KEY_MISSING)
        )
        self.polling.api_status_changed.connect(self.tray.set_api_status)
        self.polling.paused_changed.connect(self.tray.set_paused)
        w.model.counts_changed.connect(lambda: self.tray.set_states(w.model.state_counts))
        self.status.settings_requested.connect(self.open_settings)
        a.settings_requested.connect(self.open_settings)
        a.quit_requested.connect(self.quit_requested)
        # With a tray icon to bring it back, closing the window hides it; else the app quits.
        w.hide_on_close = lambda: self.tray.can_bring_back and not self._closed
        w.hidden_to_tray.connect(self._hidden_to_tray)
        w.closed.connect(self.quit_requested)
        self.tray.quit_requested.connect(self.quit_requested)
        self.tray.pause_toggled.connect(self.polling.set_paused)
        self.tray.show_window_requested.connect(self.show_window)
        self.tray.job_activated.connect(self.show_job)
        self.watchlist.jobs_added.connect(self._saved_many)

    # -- start-up --------------------------------------------------------------------------

    def start(
        self, *, add_text: str = "", add_files: list[Path] | None = None, minimized: bool = False
    ) -> None:
        """Restore the list, start polling, show the window (needs the running asyncio loop).

        ``minimized`` (``--minimized``, as at login) or the "start minimised" setting leave the
        window in the tray, where there is one to bring it back from."""
        if self.demo is not None:
            self._reset_demo_list()
        gc.collect()  # before 100,000 restored jobs are there to walk (frozen by the collector)
        if self.store.count() <= SHOWN_WITH_WINDOW:
            self.watchlist.load()
            self.window.model.show_incoming_now()  # the restored list is there when it shows
        else:  # read on the writer thread, shown a batch per turn: the window shows meanwhile
            self.watchlist.load_in_background()
            self.watchlist.loaded.connect(self._collector.resume)  # the records are frozen then
        self.api.start()
        if self.demo is not None:
            self._add_demo_jobs(self.demo)
            if self.demo.samples is not None and not self.window.notice.isVisibleTo(self.window):
                self.window.notice.show_message(DEMO_HINT)
        add_from_launch(self.window.adder, add_text, add_files or [], source="the command line")
        self._budget_timer.start()
        self.citizen.start()
        self._collector.start()
        if self.watchlist.loading:
            self._collector.pause()
        threading.Thread(target=warm_up, name="jobmonitor-warm-up", daemon=True).start()
        if not (minimized or self.settings.start_minimized) or not self.tray.can_bring_back:
            self.window.show()
        else:
            forget_activation_token()

    def take_launch(self, launch: Launch) -> str:
        """A later ``jobmonitor ...`` on this data folder: add what it names, show the window."""
        from jobmonitor.desktop.main import parse_gui_args

        try:
            options = parse_gui_args(list(launch.args))
        except SystemExit:  # argparse has said why on that launch's own terminal already
            return "the running Job Monitor did not understand those arguments"
        show = not options.minimized or not self.tray.can_bring_back
        return apply_launch(launch, self.window.adder, self, job_ids=options.job_ids, show=show)

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

    def _session_started(self, session: PollingSession) -> None:
        self.files.attach(session.origin)
        # Jobs submitted here are polled at their answer's status_url (on the API's origin).
        urls = {j: r.status_url for j, r in self.inputs.inputs.items() if r.status_url}
        if urls:
            session.scheduler.use_status_urls(urls)
        if self.files.manager is not None and not self._listening_downloads:
            self._listening_downloads = True  # expired result links, for Submit again
            self.files.manager.add_listener(self.submissions.on_download)

    def _saved_many(self, jobs: list[object]) -> None:
        # Each saved piece of a big paste (or an undo) out of the collector's sight at once:
        # left until the end, the growing list made full collections of 0.1-0.4 s meanwhile.
        if len(jobs) >= 1000:
            gc.freeze()

    def _on_job_event(self, event: JobEvent) -> None:
        self.watchlist.on_event(event)
        job = self.watchlist.get(event.job_id)
        self.tray.on_job_event(event, job.label if job else None)
        if (  # the setting last: a QSettings read, and this runs for every answer
            event.changed
            and event.new is JobState.SUCCESS
            and not event.old.terminal
            and self.settings.auto_download
        ):
            # Result links are temporary: saved now, while the link works.
            self.files.download_one(event.job_id)

    # -- actions the window and tray ask for -----------------------------------------------

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def show_job(self, job_id: str) -> None:
        self.show_window()
        self.window.select_job(job_id)

    def _hidden_to_tray(self) -> None:
        if not self.tray_hint_given:
            self.tray_hint_given = True
            self.tray.show_message(APP_NAME, TRAY_HINT)

    # The download manager, its dock and Download all (tests and the menus reach them here).
    @property
    def downloads(self) -> DownloadManager | None:
        return self.files.manager

    @property
    def downloads_dock(self) -> QDockWidget | None:
        return self.files.dock

    def download_all_finished(self) -> list[str]:
        return self.files.download_all_finished()

    def open_settings(self) -> None:
        dialog = SettingsDialog(
            self.settings,
            self.credentials,
            self.http.for_url,
            self.window,
            active_base_url=self.base_url or None,
            demo=self.demo is not None,
            autostart=None if self.demo is not None else Autostart(),
            tray=self.tray.can_bring_back,
        )
        dialog.desktop_changed.connect(self.citizen.settings_applied)
        dialog.trust_changed.connect(lambda: self.own(self._reload_trust()))
        dialog.system_refused.connect(self.window.notice.show_message)
        dialog.key_changed.connect(lambda _origin: self.api.reload_key())
        dialog.rate_limit_changed.connect(self.api.set_rate_limit)
        dialog.base_url_changed.connect(lambda _url: self.own(self.api.switch()))
        dialog.open()

    async def _reload_trust(self) -> None:
        """A new CA bundle: new HTTPS clients, and every open job asked again through them."""
        trust, notice = load_trust(self.settings.ca_bundle)
        if notice:
            self.window.notice.show_message(notice)
        await self.http.set_verify(trust)
        self.citizen.retry_now()

    def _show_budget(self) -> None:
        self.status.set_budget(*self.polling.budget_usage)

    # -- tasks and shutdown ----------------------------------------------------------------

    def own(self, coro: Coroutine[Any, Any, None]) -> None:
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
        self._collector.stop()
        self.window.model.stop_timers()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.api.aclose()
        await self.submissions.aclose()
        await self.files.aclose()
        self.inputs.close()
        await self.http.aclose()
        await self.citizen.aclose()
        self.tray.flush()
        self.tray.hide()
        self.watchlist.flush_now()
        self._db_thread.shutdown(wait=True)
        self.store.close()
        self.citizen.save_window()
        self.window.hide()
        self.window.deleteLater()
