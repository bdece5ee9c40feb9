"""The tray icon: worst state across the watch list, counts, coalesced desktop notifications, menu.

Where the desktop has no system tray, the controller creates nothing visible and every method
still works, so the app behaves the same without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from jobmonitor import APP_NAME
from jobmonitor.core.notifications import (
    DEFAULT_WINDOW,
    Notification,
    NotificationCoalescer,
    Outcome,
)
from jobmonitor.core.settings import Settings
from jobmonitor.core.state import ApiCondition, ApiStatus, JobEvent, JobState
from jobmonitor.ui import icons

Worst = JobState | ApiCondition | None
NOTIFICATION_MS = 10_000
_CONNECTION_PROBLEMS = (
    ApiCondition.UNREACHABLE,
    ApiCondition.KEY_MISSING,
    ApiCondition.KEY_REJECTED,
)
# (what is counted, how the tooltip names it), in the order the tooltip lists them.
_COUNT_WORDS = (
    ((JobState.FAILED,), "failed"),
    ((JobState.INVALID, JobState.FORBIDDEN, JobState.NOT_FOUND), "with a problem"),
    ((JobState.PROCESSING, JobState.UNKNOWN), "processing"),
    ((JobState.QUEUED, JobState.SUBMITTED, JobState.PENDING), "queued"),
    ((JobState.SUCCESS,), "succeeded"),
)


def worst_of(counts: Mapping[JobState, int], api: ApiStatus) -> Worst:
    """failed/problem > unreachable/key > rate limited > processing > queued > success."""
    present = {state for state, n in counts.items() if n > 0}
    if JobState.FAILED in present:
        return JobState.FAILED
    for state in (JobState.NOT_FOUND, JobState.FORBIDDEN, JobState.INVALID):
        if state in present:
            return state
    if api.condition in _CONNECTION_PROBLEMS or api.condition is ApiCondition.RATE_LIMITED:
        return api.condition
    for state in (
        JobState.PROCESSING,
        JobState.UNKNOWN,
        JobState.QUEUED,
        JobState.SUBMITTED,
        JobState.PENDING,
        JobState.SUCCESS,
    ):
        if state in present:
            return state
    return None


def tooltip_text(counts: Mapping[JobState, int], api: ApiStatus, paused: bool) -> str:
    parts = []
    for states, words in _COUNT_WORDS:
        n = sum(counts.get(state, 0) for state in states)
        if n:
            parts.append(f"{n} {words}")
    lines = [APP_NAME, ", ".join(parts) if parts else "No jobs watched"]
    problem = {
        ApiCondition.UNREACHABLE: "Server unreachable",
        ApiCondition.KEY_MISSING: "API key missing",
        ApiCondition.KEY_REJECTED: "API key rejected",
        ApiCondition.RATE_LIMITED: "Rate limited, waiting",
    }.get(api.condition)
    if problem:
        lines.append(problem)
    if paused or api.condition is ApiCondition.PAUSED:
        lines.append("Polling paused")
    return "\n".join(lines)


def tray_icon_for(worst: Worst) -> QIcon:
    """The app icon with the worst state (or connection problem) as a badge."""
    return icons.tray_icon(worst)


class TrayController(QObject):
    """Owns the tray icon and the notifications. The window connects to the signals.

    ``job_activated(job_id)``: a notification about one job was clicked (show and select it).
    ``show_window_requested``: the icon, "Show" or a notification about many jobs was clicked.
    ``pause_toggled(paused)``: the user chose Pause (True) or Resume (False) polling.
    ``quit_requested``: the user chose Quit. ``notified(Notification)``: one was delivered (or
    would have been, with no tray), for the app's own log.
    """

    job_activated = Signal(str)
    show_window_requested = Signal()
    pause_toggled = Signal(bool)
    quit_requested = Signal()
    notified = Signal(object)  # Notification
    message_shown = Signal(str, str)  # (title, text) of a message of the app's own

    def __init__(
        self,
        settings: Settings,
        parent: QObject | None = None,
        *,
        tray_available: bool | None = None,
        coalesce_seconds: float = DEFAULT_WINDOW,
        icon_for: Callable[[Worst], QIcon] = tray_icon_for,
    ) -> None:
        super().__init__(parent)
        self._settings = settings
        self._icon_for = icon_for
        self._counts: dict[JobState, int] = {}
        self._api = ApiStatus(ApiCondition.IDLE)
        self._paused = False
        self._worst: Worst = None
        self._last: Notification | None = None
        # Where finished-jobs notifications go (the platform's service); the balloon if None.
        self.deliver: Callable[[Notification], None] | None = None
        self._coalescer = NotificationCoalescer(self._wants, window=coalesce_seconds)
        self._flush_timer = QTimer(self)
        self._flush_timer.setSingleShot(True)
        self._flush_timer.setInterval(max(0, round(coalesce_seconds * 1000)))
        self._flush_timer.timeout.connect(self.flush)

        self._forced = tray_available is not None  # a test's or the caller's word, not Qt's
        if tray_available is None:
            tray_available = QSystemTrayIcon.isSystemTrayAvailable()
        self._tray: QSystemTrayIcon | None = None
        self._menu: QMenu | None = None
        self._pause_action: QAction | None = None
        if tray_available:
            self._build_tray()
        self._update()

    # -- the tray ---------------------------------------------------------------------------
    @property
    def available(self) -> bool:
        return self._tray is not None

    @property
    def can_bring_back(self) -> bool:
        """Whether a hidden window can be shown again from the icon: there is one, and the
        panel holding it is still there (it may have gone since start-up)."""
        if self._tray is None:
            return False
        return self._forced or QSystemTrayIcon.isSystemTrayAvailable()

    @property
    def tray_icon(self) -> QSystemTrayIcon | None:
        return self._tray

    @property
    def menu(self) -> QMenu | None:
        return self._menu

    @property
    def worst(self) -> Worst:
        return self._worst

    @property
    def tooltip(self) -> str:
        return tooltip_text(self._counts, self._api, self._paused)

    def _build_tray(self) -> None:
        tray = QSystemTrayIcon(self)
        menu = QMenu()  # a QMenu cannot have a QObject parent; kept alive here
        show = menu.addAction(f"&Show {APP_NAME}")
        show.triggered.connect(self.show_window_requested)
        self._pause_action = menu.addAction("&Pause polling")
        self._pause_action.triggered.connect(self._on_pause_action)
        menu.addSeparator()
        quit_action = menu.addAction("&Quit")
        quit_action.triggered.connect(self.quit_requested)
        tray.setContextMenu(menu)
        tray.activated.connect(self._on_activated)
        tray.messageClicked.connect(self._on_message_clicked)
        self._tray, self._menu = tray, menu
        tray.setIcon(self._icon_for(None))
        tray.show()

    def show_message(self, title: str, text: str) -> bool:
        """A message from the icon (e.g. "keeps watching in the tray"); False with no tray."""
        if self._tray is None or not QSystemTrayIcon.supportsMessages():
            return False
        icon = QSystemTrayIcon.MessageIcon.Information
        self._tray.showMessage(title, text, icon, NOTIFICATION_MS)
        self.message_shown.emit(title, text)
        return True

    def hide(self) -> None:
        """Take the icon off the panel (on quit), so it does not linger until the process ends."""
        if self._tray is not None:
            self._tray.hide()

    # -- inputs -----------------------------------------------------------------------------
    def set_states(self, counts: Mapping[JobState, int]) -> None:
        self._counts = {state: n for state, n in counts.items() if n > 0}
        self._update()

    def set_api_status(self, status: ApiStatus) -> None:
        self._api = status
        self._update()

    def set_paused(self, paused: bool) -> None:
        self._paused = paused
        self._update()

    def on_job_event(self, event: JobEvent, label: str | None) -> None:
        if self._coalescer.add(event, label):
            self._flush_timer.start()

    def flush(self) -> None:
        """Deliver what has been collected now (the timer calls this; so can a test or quit)."""
        self._flush_timer.stop()
        note = self._coalescer.flush()
        if note is None:
            return
        self._last = note
        if self.deliver is not None:
            self.deliver(note)
        else:
            self.show_balloon(note.title, note.message, note.failed)
        self.notified.emit(note)

    def show_balloon(self, title: str, text: str, warning: bool = False) -> bool:
        """A message from the icon: the fallback where the desktop has no notification service."""
        if self._tray is None or not QSystemTrayIcon.supportsMessages():
            return False
        icon = (
            QSystemTrayIcon.MessageIcon.Warning
            if warning
            else QSystemTrayIcon.MessageIcon.Information
        )
        self._tray.showMessage(title, text, icon, NOTIFICATION_MS)
        return True

    # -- internals --------------------------------------------------------------------------
    def _wants(self, outcome: Outcome) -> bool:
        if outcome is Outcome.SUCCEEDED:
            return self._settings.notify_success
        return self._settings.notify_failure

    def _update(self) -> None:
        worst = worst_of(self._counts, self._api)
        if self._tray is not None:
            if worst != self._worst or self._tray.icon().isNull():
                self._tray.setIcon(self._icon_for(worst))
            self._tray.setToolTip(self.tooltip)
        self._worst = worst
        if self._pause_action is not None:
            paused = self._paused or self._api.condition is ApiCondition.PAUSED
            self._pause_action.setText("&Resume polling" if paused else "&Pause polling")

    def _on_pause_action(self) -> None:
        paused = self._paused or self._api.condition is ApiCondition.PAUSED
        self.pause_toggled.emit(not paused)

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.show_window_requested.emit()

    def _on_message_clicked(self) -> None:
        note = self._last
        if note is not None and note.job_id is not None:
            self.job_activated.emit(note.job_id)
        else:
            self.show_window_requested.emit()
