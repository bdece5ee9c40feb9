"""Desktop notifications through the platform's service, the tray's balloon as the fallback.

On Linux and the BSDs the freedesktop notification server shows them whether or not there is a
tray (stock GNOME has none); on Windows and macOS their own notification centres do
(``core.notify_service`` picks). A burst of finished jobs is one summary, and a later burst
while that summary is still shown folds into it (replaced in place) instead of stacking. Only a
rejected key is urgent, so Do Not Disturb holds back everything else (the service decides).
Actions: Open (selects the job), Download (a success), Copy report (a failure).

Where no service answers, notifications go to the tray's balloon, which holds back all but
the urgent ones while the desktop says not to disturb (``core.quiet``).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine, Iterable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from jobmonitor import APP_ID, APP_NAME
from jobmonitor.core.alerts import Alert, AlertKind, AlertTracker, JobLike
from jobmonitor.core.notifications import Notification, Outcome, summarize
from jobmonitor.core.notify_service import (
    NotificationService,
    Urgency,
    platform_service,
)
from jobmonitor.core.quiet import QuietCheck, system_quiet
from jobmonitor.core.state import ApiStatus

log = logging.getLogger(__name__)

OPEN, DOWNLOAD, COPY_REPORT, SETTINGS = "default", "download", "copy-report", "settings"
ALERT_CHECK_MS = 30_000  # how often a long outage and stuck jobs are looked for


def job_actions(note: Notification) -> list[tuple[str, str]]:
    """The buttons a finished-jobs notification offers."""
    actions = [(OPEN, "Open")]
    if len(note.items) == 1:
        outcome = note.items[0].outcome
        if outcome is Outcome.SUCCEEDED:
            actions.append((DOWNLOAD, "Download"))
        elif outcome is Outcome.FAILED:
            actions.append((COPY_REPORT, "Copy report"))
    return actions


class DesktopNotifier(QObject):
    """Sends notifications and alerts; says what the user clicked through signals.

    ``job_opened(job_id)``, ``window_requested()``, ``download_requested(job_id)``,
    ``report_requested(job_id)`` (copy its support report), ``settings_requested()``.
    ``fallback(title, text, warning)`` is called where the platform service is not there,
    unless ``quiet()`` (the desktop's Do Not Disturb) holds it back: all but the urgent ones.
    """

    job_opened = Signal(str)
    window_requested = Signal()
    download_requested = Signal(str)
    report_requested = Signal(str)
    settings_requested = Signal()
    sent = Signal(str, str)  # (title, text) of each notification the service took
    held_back = Signal(str, str)  # (title, text) of a balloon Do Not Disturb kept back

    def __init__(
        self,
        fallback: Callable[[str, str, bool], object],
        parent: QObject | None = None,
        *,
        service: NotificationService | None = None,
        use_service: bool | None = None,
        quiet: QuietCheck | None = None,
    ) -> None:
        """``use_service``: False keeps to the fallback (tests without a fake server)."""
        super().__init__(parent)
        self._fallback = fallback
        self._quiet = quiet or system_quiet()
        self._service = service
        if service is None and use_service is not False:
            self._service = platform_service(
                APP_NAME, desktop_entry=APP_ID, on_action=self._on_action, on_closed=self._closed
            )
        self._started = False
        # Until the service has answered (or not), what to say waits: a key rejected in the
        # first moment must not go to the fallback only because the bus was still connecting.
        self._waiting: list[Callable[[], None]] | None = [] if self._service else None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._shown: dict[int, Notification | Alert] = {}  # notification id -> what it shows
        self._summary: tuple[int, Notification] | None = None  # the open finished-jobs one
        self._alert_ids: dict[AlertKind, int] = {}

    @property
    def via_service(self) -> bool:
        return self._service is not None and self._service.available

    @property
    def shown_ids(self) -> frozenset[int]:
        """The server's ids of what is on screen (their clicks are answered)."""
        return frozenset(self._shown)

    @property
    def summary_on_screen(self) -> bool:
        """A finished-jobs summary is still shown (the next burst folds into it)."""
        return self._summary is not None

    @property
    def service_name(self) -> str:
        """The notification server in use, for the log and diagnostics."""
        if self._service is not None and self._service.available:
            return self._service.server or "the desktop's notification service"
        return "the tray icon's messages"

    async def start(self) -> bool:
        if self._service is None:
            return False
        try:
            self._started = await self._service.start()
        finally:
            waiting, self._waiting = self._waiting or [], None
            for say in waiting:
                say()
        return self._started

    def notify_jobs(self, note: Notification) -> None:
        if self._waiting is not None:
            self._waiting.append(lambda: self.notify_jobs(note))
            return
        if not self.via_service:
            self._balloon(note.title, note.message, note.failed, urgent=False)
            return
        self._spawn(self._send_jobs(note))

    async def _send_jobs(self, note: Notification) -> None:
        assert self._service is not None
        replaces = 0
        if self._summary is not None:  # still shown: fold the new burst into it
            shown, previous = self._summary
            if await self._service.showing(shown):
                replaces = shown
                note = summarize([*previous.items, *note.items])
            else:
                self._closed(shown)
        category = "transfer.error" if note.failed else "transfer.complete"
        nid = await self._service.notify(
            note.title,
            note.message,
            actions=job_actions(note),
            replaces=replaces,
            icon=APP_ID,
            category=category,
        )
        if nid is None:
            self._balloon(note.title, note.message, note.failed, urgent=False)
            return
        self._shown[nid] = note
        self._summary = (nid, note)
        self.sent.emit(note.title, note.message)

    def notify_alert(self, alert: Alert) -> None:
        if self._waiting is not None:
            self._waiting.append(lambda: self.notify_alert(alert))
            return
        if not self.via_service:
            self._balloon(alert.title, alert.message, True, urgent=alert.urgent)
            return
        self._spawn(self._send_alert(alert))

    async def _send_alert(self, alert: Alert) -> None:
        assert self._service is not None
        actions = [(SETTINGS, "Open Settings")] if alert.kind is AlertKind.KEY_REJECTED else []
        nid = await self._service.notify(
            alert.title,
            alert.message,
            actions=[(OPEN, "Open"), *actions],
            urgency=Urgency.CRITICAL if alert.urgent else Urgency.NORMAL,
            replaces=self._alert_ids.get(alert.kind, 0),
            icon=APP_ID,
        )
        if nid is None:
            self._balloon(alert.title, alert.message, True, urgent=alert.urgent)
            return
        self._alert_ids[alert.kind] = nid
        self._shown[nid] = alert
        self.sent.emit(alert.title, alert.message)

    def _balloon(self, title: str, text: str, warning: bool, *, urgent: bool) -> None:
        """The tray's balloon, which no notification centre filters: Do Not Disturb asked here."""
        if not urgent and self._quiet():
            log.info("notification held back (the desktop asks not to disturb): %s", title)
            self.held_back.emit(title, text)
            return
        self._fallback(title, text, warning)

    def _on_action(self, nid: int, key: str) -> None:
        shown = self._shown.get(nid)
        if shown is None:
            return
        one = shown.job_ids[0] if len(shown.job_ids) == 1 else None
        if key == SETTINGS:
            self.settings_requested.emit()
        elif key == DOWNLOAD and one:
            self.download_requested.emit(one)
        elif key == COPY_REPORT and one:
            self.report_requested.emit(one)
        elif one:
            self.job_opened.emit(one)
        else:
            self.window_requested.emit()

    def _closed(self, nid: int) -> None:
        shown = self._shown.pop(nid, None)
        if self._summary is not None and self._summary[0] == nid:
            self._summary = None
        if isinstance(shown, Alert) and self._alert_ids.get(shown.kind) == nid:
            del self._alert_ids[shown.kind]

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._service is not None:
            await self._service.aclose()


class HiddenAlerts(QObject):
    """While the window is hidden: a rejected key, a long outage, stuck jobs, each said once."""

    def __init__(
        self,
        notifier: DesktopNotifier,
        *,
        hidden: Callable[[], bool],
        jobs: Callable[[], Iterable[JobLike]],
        stuck_after: Callable[[], float],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._notifier = notifier
        self._hidden = hidden
        self._jobs = jobs
        self._stuck_after = stuck_after
        self.tracker = AlertTracker(stuck_after=stuck_after())
        self._timer = QTimer(self, interval=ALERT_CHECK_MS)
        self._timer.timeout.connect(self.check)

    def start(self) -> None:
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def on_api_status(self, status: ApiStatus) -> None:
        self._say(self.tracker.on_api_status(status, time.time()))

    def check(self) -> None:
        """A long outage, and jobs newly stuck (the setting is read each time)."""
        now = time.time()
        self.tracker.stuck_after = self._stuck_after()
        self._say(self.tracker.tick(now))
        if self._hidden():  # a job seen stuck in the open window is not news later
            self._say(self.tracker.stuck(self._jobs(), now))

    def _say(self, alert: Alert | None) -> None:
        if alert is not None and self._hidden():
            self._notifier.notify_alert(alert)
