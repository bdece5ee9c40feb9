"""The status bar says "Offline" while the system has no network, and offers "Retry now" while
the server is unreachable."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from jobmonitor.core.state import ApiCondition, ApiStatus
from jobmonitor.ui.status_bar import OFFLINE_TEXT, ConnectionStatusWidget


def _text(widget: ConnectionStatusWidget) -> QLabel:
    return next(c for c in widget.findChildren(QLabel) if c.accessibleName() == "Connection state")


def test_offline_beats_what_the_scheduler_last_said(qtbot: QtBot) -> None:
    w = ConnectionStatusWidget()
    qtbot.addWidget(w)
    w.set_api_status(ApiStatus(ApiCondition.UNREACHABLE, since=0))
    w.set_offline(True)
    assert w.status_text == OFFLINE_TEXT and "href" not in _text(w).text()
    w.set_offline(False)
    assert w.status_text.startswith("Server unreachable")


def test_unreachable_offers_retry_now(qtbot: QtBot) -> None:
    w = ConnectionStatusWidget()
    qtbot.addWidget(w)
    w.show()
    w.set_api_status(ApiStatus(ApiCondition.UNREACHABLE, since=0))
    label = _text(w)
    assert "href='retry'" in label.text() and w.status_text.endswith("Retry now")
    with qtbot.waitSignal(w.retry_requested, timeout=2000):
        label.linkActivated.emit("retry")  # what QLabel sends for a click or Enter on the link
