"""The connection part of the status bar: API state (icon and text), rate-limit countdown, budget."""

from __future__ import annotations

import html
import time
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QStyle, QWidget

from jobmonitor.core.state import ApiCondition, ApiStatus
from jobmonitor.ui.icons import connection_icon

# Conditions the user can act on in Settings: the text is a link that opens it.
_SETTINGS_PROBLEMS = (ApiCondition.KEY_MISSING, ApiCondition.KEY_REJECTED, ApiCondition.UNREACHABLE)
_SETTINGS_LINK = "settings"
_RETRY_LINK = "retry"
OFFLINE_TEXT = "Offline — checks resume when the network is back"


def format_countdown(seconds: float) -> str:
    """``0:42``, ``12:05``, ``1:02:03`` (never negative)."""
    total = max(0, int(seconds + 0.999))  # round up: "0:00" only when it is really over
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_since(epoch: float, now: float) -> str:
    """``14:02`` today, ``28 Nov 14:02`` on another day (local time)."""
    when = datetime.fromtimestamp(epoch)
    if when.date() == datetime.fromtimestamp(now).date():
        return f"{when:%H:%M}"
    return f"{when:%d %b %H:%M}"


def condition_text(status: ApiStatus, now: float) -> str:
    """The status text as plain words (the widget adds a link to the key problems)."""
    condition = status.condition
    if condition is ApiCondition.ONLINE:
        return "Online"
    if condition is ApiCondition.IDLE:
        return "Not connected yet"
    if condition is ApiCondition.UNREACHABLE:
        since = f" since {format_since(status.since, now)}" if status.since else ""
        return f"Server unreachable{since}"
    if condition is ApiCondition.KEY_MISSING:
        return "API key missing — open Settings"
    if condition is ApiCondition.KEY_REJECTED:
        return "API key rejected — open Settings"
    if condition is ApiCondition.RATE_LIMITED:
        if status.until is None:
            return "Rate limited — backing off"
        left = status.until - now
        if left <= 0:
            return "Rate limited — resuming now"
        return f"Rate limited — resuming in {format_countdown(left)}"
    return "Polling paused"


def budget_text(used: int, limit: int | None) -> str:
    if limit is None:
        requests = "request" if used == 1 else "requests"
        return f"{used} {requests} in the last minute (limit unknown)"
    requests = "request" if limit == 1 else "requests"
    return f"{used} of {limit} {requests} in the last minute"


class ConnectionStatusWidget(QWidget):
    """Shows one API's connection state and the request budget; ticks while rate limited.

    ``settings_requested`` is emitted when the user activates (mouse or keyboard) the text of a
    problem Settings can fix: no key, a rejected key, an unreachable server. ``icon_for`` picks
    the icon per condition (default: the app's icon set, following the palette).
    """

    settings_requested = Signal()
    retry_requested = Signal()  # "Retry now" while the server is unreachable

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        clock: Callable[[], float] = time.time,
        icon_for: Callable[[ApiCondition], QIcon] = connection_icon,
    ) -> None:
        super().__init__(parent)
        self._clock = clock
        self._icon_for = icon_for
        self._status = ApiStatus(ApiCondition.IDLE)
        self._offline = False

        self._icon = QLabel(self)
        self._icon.setAccessibleName("Connection state icon")
        self._text = QLabel(self)
        self._text.setAccessibleName("Connection state")
        self._text.setTextFormat(Qt.TextFormat.RichText)
        self._text.setTextInteractionFlags(
            Qt.TextInteractionFlag.LinksAccessibleByMouse
            | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
        )
        self._text.linkActivated.connect(self._on_link)
        self._budget = QLabel(self)
        self._budget.setAccessibleName("Request budget")

        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        layout.addWidget(self._icon)
        layout.addWidget(self._text)
        separator = QFrame(self)
        separator.setFrameShape(QFrame.Shape.VLine)
        separator.setFrameShadow(QFrame.Shadow.Sunken)
        layout.addWidget(separator)
        layout.addWidget(self._budget)

        # Ticks only while a countdown is on screen.
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.refresh)
        self.set_budget(0, None)
        self.refresh()

    # -- inputs ---------------------------------------------------------------------------
    def set_api_status(self, status: ApiStatus) -> None:
        self._status = status
        self.refresh()

    def set_offline(self, offline: bool) -> None:
        """The system says there is no network: say so instead of a storm of retries."""
        self._offline = offline
        self.refresh()

    @property
    def offline(self) -> bool:
        return self._offline

    def set_budget(self, used: int, limit: int | None) -> None:
        text = budget_text(used, limit)
        self._budget.setText(text)
        self._budget.setAccessibleDescription(text)
        tip = "Requests sent to the API in the last 60 seconds"
        self._budget.setToolTip(tip + ("" if limit else "; the server has not said its limit"))

    # -- what is shown ----------------------------------------------------------------------
    @property
    def api_status(self) -> ApiStatus:
        return self._status

    @property
    def status_text(self) -> str:
        """The plain text currently shown (as screen readers get it)."""
        return self._text.accessibleDescription()

    @property
    def budget_label_text(self) -> str:
        return self._budget.text()

    @property
    def counting_down(self) -> bool:
        return self._ticker.isActive()

    def refresh(self) -> None:
        status = self._status
        now = self._clock()
        plain = OFFLINE_TEXT if self._offline else condition_text(status, now)
        self._text.setAccessibleDescription(plain)
        if self._offline:
            self._text.setText(html.escape(plain))
        elif status.condition is ApiCondition.UNREACHABLE:
            self._text.setText(
                f"<a href='{_SETTINGS_LINK}'>{html.escape(plain)}</a> · "
                f"<a href='{_RETRY_LINK}'>Retry now</a>"
            )
            self._text.setAccessibleDescription(f"{plain}. Retry now")
        elif status.condition in _SETTINGS_PROBLEMS:
            # The whole text is the link: a bigger target, reachable with Tab + Enter.
            self._text.setText(f"<a href='{_SETTINGS_LINK}'>{html.escape(plain)}</a>")
        else:
            self._text.setText(html.escape(plain))
        self._text.setToolTip(plain if self._offline else status.detail or plain)
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        shown = ApiCondition.PAUSED if self._offline else status.condition
        self._icon.setPixmap(self._icon_for(shown).pixmap(size, size))
        self._icon.setToolTip(plain)
        ticking = status.condition is ApiCondition.RATE_LIMITED and status.until is not None
        if ticking and status.until is not None and status.until - now <= -1:
            ticking = False  # over; the scheduler's next status replaces this one
        if ticking and not self._ticker.isActive():
            self._ticker.start()
        elif not ticking and self._ticker.isActive():
            self._ticker.stop()

    def _on_link(self, link: str) -> None:
        if link == _SETTINGS_LINK:
            self.settings_requested.emit()
        elif link == _RETRY_LINK:
            self.retry_requested.emit()
