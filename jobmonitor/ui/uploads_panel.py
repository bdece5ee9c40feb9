"""The Uploads panel: the account's uploaded files (pending, completed, failed), their size, a
countdown to their expiry, and Delete.

The app fills it (``show_uploads``) from the upload API's list and acts on its signals; the panel
reads entries through a small protocol, so it needs no network to be tested.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.ui.submissions_panel import human_bytes

COLUMNS = ("File", "Status", "Size", "Expires", "Upload id")
ID_ROLE = Qt.ItemDataRole.UserRole + 1


class UploadLike(Protocol):
    @property
    def upload_id(self) -> str: ...
    @property
    def filename(self) -> str | None: ...
    @property
    def status(self) -> str: ...
    @property
    def file_size(self) -> int | None: ...
    @property
    def expires_at(self) -> float | None: ...


def expiry_text(expires_at: float | None, now: float) -> str:
    """``in 4:05``, ``in 2 h 10 min``, ``expired``; ``—`` when the API gave no time."""
    if expires_at is None:
        return "—"
    left = expires_at - now
    if left <= 0:
        return "expired"
    if left < 3600:
        return f"in {int(left) // 60}:{int(left) % 60:02d}"
    if left < 86400:
        return f"in {int(left) // 3600} h {int(left) % 3600 // 60} min"
    return f"in {int(left) // 86400} d"


class UploadsPanel(QWidget):
    """``refresh_requested()``; ``delete_requested(upload ids)`` for Delete (or the Delete key)."""

    refresh_requested = Signal()
    delete_requested = Signal(list)

    def __init__(
        self, parent: QWidget | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("Uploads")
        self._clock = clock
        self._uploads: list[UploadLike] = []
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setAccessibleName("Uploaded files")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.note = QLabel("Press Refresh to list the files uploaded with this key.")
        self.note.setWordWrap(True)
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.delete_button = QPushButton("&Delete")
        self.delete_button.setToolTip("Delete the selected uploads from the provider (Delete)")
        self.delete_button.clicked.connect(self.delete_selected)
        QShortcut(QKeySequence.StandardKey.Delete, self.table, self.delete_selected)
        buttons = QHBoxLayout()
        for button in (self.refresh_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self._ticker = QTimer(self, interval=1000)
        self._ticker.timeout.connect(self._tick)

    def show_uploads(self, uploads: Sequence[UploadLike]) -> None:
        self._uploads = list(uploads)
        self.table.setRowCount(len(self._uploads))
        now = self._clock()
        for row, up in enumerate(self._uploads):
            size = human_bytes(up.file_size) if up.file_size is not None else "—"
            cells = (
                up.filename or "—",
                up.status,
                size,
                expiry_text(up.expires_at, now),
                up.upload_id,
            )
            for col, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(ID_ROLE, up.upload_id)
                self.table.setItem(row, col, item)
        n = len(self._uploads)
        self.note.setText(f"{n} upload{'s' if n != 1 else ''}." if n else "No uploads.")
        if self._uploads and self.isVisible():
            self._ticker.start()

    def show_problem(self, text: str) -> None:
        self.note.setText(text)

    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        return [self._uploads[r].upload_id for r in rows if r < len(self._uploads)]

    def delete_selected(self) -> None:
        ids = self.selected_ids()
        if ids:
            self.delete_requested.emit(ids)

    def _tick(self) -> None:
        if not self.isVisible():
            self._ticker.stop()
            return
        now = self._clock()
        for row, up in enumerate(self._uploads):
            item = self.table.item(row, 3)
            if item is not None:
                item.setText(expiry_text(up.expires_at, now))

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._uploads:
            self._ticker.start()
