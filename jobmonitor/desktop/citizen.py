"""The app as a desktop citizen, wired in one place: notifications and what their buttons do,
alerts while hidden, HTTPS trust, offline detection, light/dark, and the window as it was left.

``DesktopApp`` builds one ``Citizen`` after its window and tray; ``start`` and ``aclose`` are
called from the app's own.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QObject, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QMenu

from jobmonitor.core.alerts import stuck_test
from jobmonitor.core.diagnostics import diagnostics_text
from jobmonitor.core.paths import cache_dir, data_dir, log_dir
from jobmonitor.core.tls import TrustConfigError, trust_context
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.desktop.notify import DesktopNotifier, HiddenAlerts
from jobmonitor.desktop.offline import OfflineWatcher
from jobmonitor.ui import window_state
from jobmonitor.ui.appearance import Appearance

if TYPE_CHECKING:
    from jobmonitor.desktop.root import DesktopApp

log = logging.getLogger(__name__)
STUCK_REFRESH_MS = 30_000  # the Stuck chip's count moves with time, not only with answers


def load_trust(ca_bundle: str) -> tuple[ssl.SSLContext, str]:
    """The SSL context for every client, and a notice when an override could not be used."""
    try:
        return trust_context(ca_bundle).context, ""
    except TrustConfigError as exc:
        notice = f"HTTPS: {exc}. The system's certificates are used instead; fix it in Settings."
        return trust_context("", environ={}).context, notice


class Citizen(QObject):
    def __init__(
        self, app: DesktopApp, *, notify_service: bool | None, forced_dark: bool = False
    ) -> None:
        super().__init__(app)
        self._app = app
        w = app.window
        self.notifier = DesktopNotifier(app.tray.show_balloon, self, use_service=notify_service)
        app.tray.deliver = self.notifier.notify_jobs
        self.alerts = HiddenAlerts(
            self.notifier,
            hidden=lambda: not w.isVisible(),
            jobs=app.watchlist.jobs,
            stuck_after=lambda: app.settings.stuck_after_hours * 3600,
            parent=self,
        )
        self.offline = OfflineWatcher(
            app.polling,
            lambda: (j.job_id for j in app.watchlist.jobs() if not j.state.terminal),
            self,
        )
        qapp = QApplication.instance()
        self.appearance = (
            Appearance(qapp, lambda: app.settings.appearance, forced_dark=forced_dark, parent=self)
            if isinstance(qapp, QApplication)
            else None
        )
        self.stuck_chip = w.filter_bar.add_chip(
            "Stuck",
            "Queued or processing with no change for longer than Settings › Desktop says "
            "(an hour unless changed)",
            self._stuck_test,
        )
        self._stuck_timer = QTimer(self, interval=STUCK_REFRESH_MS)
        self._stuck_timer.timeout.connect(w.filter_bar.refresh_extra)
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl  # tests replace it
        self._help_items()

        n = self.notifier
        n.job_opened.connect(app.show_job)
        n.window_requested.connect(app.show_window)
        n.download_requested.connect(self._download)
        n.report_requested.connect(self._copy_report)
        n.settings_requested.connect(self._open_settings)
        app.polling.api_status_changed.connect(self.alerts.on_api_status)
        self.offline.offline_changed.connect(app.status.set_offline)
        app.status.retry_requested.connect(self.retry_now)

    def _help_items(self) -> None:
        w = self._app.window
        about = w.menus.about
        menu = next((m for m in about.associatedObjects() if isinstance(m, QMenu)), None)
        self.open_logs = QAction("Open &log folder", w)
        self.open_logs.setToolTip(f"Show {log_dir()} (the rotating log, crash traces)")
        self.open_logs.triggered.connect(lambda: self.open_url(QUrl.fromLocalFile(str(log_dir()))))
        self.copy_diagnostics = QAction("Copy &diagnostics", w)
        self.copy_diagnostics.setToolTip(
            "Versions, platform, keyring backend, folders and settings for a bug report "
            "(never the API key)"
        )
        self.copy_diagnostics.triggered.connect(lambda: self._app.own(self._copy_diagnostics()))
        if menu is not None:
            menu.insertAction(about, self.open_logs)
            menu.insertAction(about, self.copy_diagnostics)
            menu.insertSeparator(about)

    async def diagnostics(self) -> str:
        app = self._app
        backend = await asyncio.get_running_loop().run_in_executor(None, _keyring_name)
        return diagnostics_text(
            qt_platform=QGuiApplication.platformName(),
            keyring_backend=backend,
            folders={
                "data": data_dir(demo=app.demo is not None),
                "log": log_dir(),
                "cache": cache_dir(),
                "downloads": app.settings.download_dir,
            },
            settings=app.settings.qsettings,
            extra=[
                ("Base URL in use", app.base_url),
                ("Notifications", self.notifier.service_name),
                ("Network reachability", self.offline.backend or "not available"),
                ("Appearance", "dark" if self.appearance and self.appearance.dark else "light"),
                ("Executable", sys.executable),
            ],
        )

    async def _copy_diagnostics(self) -> None:
        text = await self.diagnostics()
        QGuiApplication.clipboard().setText(text)
        self._app.window.statusBar().showMessage(
            "Diagnostics copied (the API key is never in them).", 6000
        )

    def start(self) -> None:
        """Before the window is shown: its last geometry and columns, the scheme, then the
        services that need the loop."""
        settings = self._app.settings
        window_state.restore(
            self._app.window,
            self._app.window.splitter,
            self._app.window.table,
            settings.window_state,
        )
        if self.appearance is not None:
            self.appearance.apply()
        self.alerts.start()
        self._stuck_timer.start()
        self.offline.start()
        self._app.own(self._start_notifier())

    async def _start_notifier(self) -> None:
        if await self.notifier.start():
            log.info("desktop notifications through %s", self.notifier.service_name)

    def retry_now(self) -> None:
        """ "Retry now" on an unreachable server: every open job asked again at once."""
        jobs = [j.job_id for j in self._app.watchlist.jobs() if not j.state.terminal]
        self._app.polling.check_now(jobs)

    def settings_applied(self) -> None:
        if self.appearance is not None:
            self.appearance.apply()
        self._app.window.filter_bar.refresh_extra()  # the stuck threshold may have changed

    def _stuck_test(self) -> Callable[[WatchedJob], bool]:
        now, after = time.time(), self._app.settings.stuck_after_hours * 3600
        return stuck_test(now, after)

    def _download(self, job_id: str) -> None:
        self._app.show_job(job_id)
        self._app.files.download_one(job_id)

    def _copy_report(self, job_id: str) -> None:
        self._app.show_job(job_id)
        self._app.window.details.copy_report()

    def _open_settings(self) -> None:
        self._app.show_window()
        self._app.open_settings()

    def save_window(self) -> None:
        w, settings = self._app.window, self._app.settings

        def store(name: str, data: QByteArray) -> None:
            settings.set_window_state(name, data)

        window_state.save(w, w.splitter, w.table, store)
        settings.sync()

    async def aclose(self) -> None:
        self._stuck_timer.stop()
        self.alerts.stop()
        await self.notifier.aclose()
        self._app.tray.deliver = None


def _keyring_name() -> str:
    """The keyring backend in use (asking keyring may take a moment: called in a worker)."""
    import keyring

    from jobmonitor.core.credentials.backends import display_name

    try:
        return display_name(keyring.get_keyring())
    except (RuntimeError, ValueError, ImportError) as exc:
        return f"unavailable ({exc})"
