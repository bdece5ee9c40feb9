"""The downloads panel's list: a model of the downloads (newest first) and the delegate that
paints each one as two lines (name and state; bar and detail).

A list view paints only the rows on screen and lays nothing out per row. The panel had a row
of ten widgets per download: Download all of 1,000 files built 10,000 widgets and had Qt lay
the whole list out again on every progress update (tests/benchmarks/bench_download_all.py:
most of its time, and stalls of seconds).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QEvent,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import QFont, QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from jobmonitor.core.downloads.model import DownloadProgress, DownloadState, format_eta, human_size

ProgressRole = Qt.ItemDataRole.UserRole + 1
Index = QModelIndex | QPersistentModelIndex
_BAR_STEPS = 1000


def progress_text(p: DownloadProgress) -> str:
    """The detail line of a row: bytes, speed and time left while saving, else the outcome."""
    if p.state is DownloadState.QUEUED:
        return "Waiting for a free download slot"
    if p.state is DownloadState.SAVING:
        done = human_size(p.bytes_done)
        parts = [f"{done} of {human_size(p.total)}" if p.total is not None else done]
        if p.speed:
            parts.append(f"{human_size(p.speed)}/s")
        if p.eta is not None:
            parts.append(f"{format_eta(p.eta)} left")
        return " · ".join(parts)
    if p.state is DownloadState.DONE:  # the state already says Done
        folder = p.path.parent if p.path is not None else None
        return human_size(p.bytes_done) + (f" · in {folder}" if folder else "")
    if p.state is DownloadState.FAILED:
        return p.message  # the state already says Failed
    return p.message or "Cancelled"


def note_text(p: DownloadProgress) -> str:
    """While saving, what is going on besides the bytes (a retry, a fresh link, the fsync)."""
    routine = not p.message or p.message.startswith(("Saving to ", "Connecting"))
    return p.message if p.state is DownloadState.SAVING and not routine else ""


def display_name(p: DownloadProgress) -> str:
    return p.path.name if p.path is not None else f"Result of job {p.job_id}"


def spoken(p: DownloadProgress) -> str:
    """A row as a screen reader reads it."""
    note = note_text(p)
    return f"Download of {display_name(p)}: {p.state.label}. {note or progress_text(p)}"


class DownloadsModel(QAbstractListModel):
    """The downloads, newest first; ``ProgressRole`` gives a row's ``DownloadProgress``.

    New rows are announced to the view together, on the next event-loop turn and then at most
    every ``REPAINT_MS``: Download all starts 1,000 downloads at once, and a list view told of
    each insertion on its own asked the model for its row count nearly a thousand times per
    row; told once per turn, it still laid out every row again each time, asking the model (in
    Python, under the GIL the download threads want) about every row: 48,000 calls for one
    Download all of 1,000 files, which starts them over 16 turns. Changes are announced together
    too, at most every ``REPAINT_MS``: each one is a repaint in Python, and 1,000 downloads make
    thousands of changes a second. What the model answers is always the newest.
    """

    REPAINT_MS = 100

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._items: list[DownloadProgress] = []  # oldest first: a new one is appended
        self._at: dict[str, int] = {}  # job id -> position in _items
        self._shown = 0  # how many of _items the view has been told of (the oldest ones)
        self._announce = QTimer(self)
        self._announce.setSingleShot(True)
        self._announce.setInterval(0)
        self._announce.timeout.connect(self.announce)
        self._announced = float("-inf")  # when new rows were last announced (monotonic)
        self._changed: set[int] = set()  # positions in _items changed since the last repaint
        self._repaint = QTimer(self)
        self._repaint.setSingleShot(True)
        self._repaint.setInterval(self.REPAINT_MS)
        self._repaint.timeout.connect(self._announce_changes)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else self._shown

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """One column (callable from Python: PySide hides QAbstractListModel's own)."""
        return 0 if parent.isValid() else 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < self._shown:
            return None
        p = self._items[self._shown - 1 - index.row()]
        if role == ProgressRole:
            return p
        if role == Qt.ItemDataRole.DisplayRole:
            return display_name(p)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return spoken(p)
        if role == Qt.ItemDataRole.ToolTipRole:
            where = str(p.path) if p.path is not None else display_name(p)
            return f"{where}\n{p.state.label}: {note_text(p) or progress_text(p)}"
        return None

    def progress(self, job_id: str) -> DownloadProgress | None:
        at = self._at.get(job_id)
        return None if at is None else self._items[at]

    def row_of(self, job_id: str) -> int | None:
        self.announce()
        at = self._at.get(job_id)
        return None if at is None else self._shown - 1 - at

    def job_ids(self) -> list[str]:
        return [p.job_id for p in reversed(self._items)]

    def __len__(self) -> int:
        return len(self._items)

    def put(self, p: DownloadProgress) -> bool:
        """Add or update ``p``'s row; True when it is a new row."""
        at = self._at.get(p.job_id)
        if at is None:
            self._at[p.job_id] = len(self._items)
            self._items.append(p)
            if not self._announce.isActive():
                wait = self._announced + self.REPAINT_MS / 1000 - time.monotonic()
                self._announce.start(int(wait * 1000) if wait > 0 else 0)
            return True
        self._items[at] = p
        if at < self._shown:
            self._changed.add(at)
            if not self._repaint.isActive():
                self._repaint.start()
        return False

    def _announce_changes(self) -> None:
        changed, self._changed = self._changed, set()
        if changed:  # one span: the view repaints only the part of it on screen
            rows = [self._shown - 1 - at for at in changed if at < self._shown]
            if rows:
                self.dataChanged.emit(self.index(min(rows)), self.index(max(rows)))

    def announce(self) -> None:
        """Tell the view of the rows added since the last time (newest first: at the top)."""
        self._announce.stop()
        new = len(self._items) - self._shown
        if new > 0:
            self._announced = time.monotonic()
            self.beginInsertRows(QModelIndex(), 0, new - 1)
            self._shown = len(self._items)
            self.endInsertRows()

    def remove_finished(self) -> list[DownloadProgress]:
        """Drop every finished, failed and cancelled row; returns them."""
        self.announce()
        gone = [p for p in self._items if p.state.terminal]
        if gone:
            self.beginResetModel()  # a user's one-off action, not an update
            self._items = [p for p in self._items if not p.state.terminal]
            self._at = {p.job_id: n for n, p in enumerate(self._items)}
            self._changed.clear()
            self._shown = len(self._items)
            self.endResetModel()
        return gone


class DownloadDelegate(QStyledItemDelegate):
    """Two lines per download: the name in bold and its state; the bar (while it runs) and the
    detail (or what is going on: a retry, a fresh link)."""

    MARGIN = 4

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        spacing = option.fontMetrics.lineSpacing()
        return QSize(200, 2 * spacing + 3 * self.MARGIN)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        p = index.data(ProgressRole)
        if not isinstance(p, DownloadProgress):
            return
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        base = QStyleOptionViewItem(option)
        self.initStyleOption(base, index)
        base.text = ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, base, painter, widget)
        rect: QRect = option.rect.adjusted(self.MARGIN, self.MARGIN, -self.MARGIN, -self.MARGIN)
        metrics = option.fontMetrics
        line = metrics.lineSpacing()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        palette = option.palette
        pen = palette.highlightedText() if selected else palette.text()
        painter.save()
        painter.setPen(pen.color())
        state = p.state.label
        state_width = metrics.horizontalAdvance(state) + 2 * self.MARGIN
        top = QRect(rect.left(), rect.top(), rect.width() - state_width, line)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        name = painter.fontMetrics().elidedText(
            display_name(p), Qt.TextElideMode.ElideMiddle, top.width()
        )
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(top, align, name)
        painter.setFont(option.font)
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(
            QRect(rect.right() - state_width, rect.top(), state_width, line), right, state
        )
        second = QRect(rect.left(), rect.top() + line + self.MARGIN, rect.width(), line)
        if p.state in (DownloadState.QUEUED, DownloadState.SAVING):
            bar = QStyleOptionProgressBar()
            bar.rect = QRect(second.left(), second.top(), second.width() // 3, line)
            bar.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Horizontal
            bar.minimum, bar.maximum = 0, _BAR_STEPS
            if p.state is DownloadState.SAVING and p.fraction is None:
                bar.maximum = 0  # size unknown: a busy bar
            bar.progress = int((p.fraction or 0.0) * _BAR_STEPS)
            bar.palette = palette
            style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)
            second.setLeft(second.left() + second.width() // 3 + 2 * self.MARGIN)
        detail = note_text(p) or progress_text(p)
        elided = metrics.elidedText(detail, Qt.TextElideMode.ElideRight, second.width())
        painter.drawText(second, align, elided)
        painter.restore()


class DownloadList(QTableView):
    """The downloads as a one-column table that looks and works as a list (no grid, no headers,
    whole rows selected, Tab leaves it).

    A QListView lays every row out again on each insertion and on each ``dataChanged``, even
    with uniform item sizes, asking the model (in Python) about every row twice: over 2,000
    calls per change at 1,000 downloads, each waiting for the GIL the download threads hold
    (Download all: 28,000-48,000 calls, most of the window's stalls). A table's rows are
    sections of its vertical header, all one height here, so a change costs the rows on screen
    only (a dozen calls)."""

    def __init__(self, model: DownloadsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setModel(model)
        self.setItemDelegate(DownloadDelegate(self))
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        columns = self.horizontalHeader()
        columns.hide()
        columns.setStretchLastSection(True)
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self._fit_rows()

    def _fit_rows(self) -> None:
        """Every row the delegate's height (two lines), set once, never measured per row."""
        spacing = self.fontMetrics().lineSpacing()
        height = 2 * spacing + 3 * DownloadDelegate.MARGIN
        rows = self.verticalHeader()
        rows.setMinimumSectionSize(height)
        rows.setDefaultSectionSize(height)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.FontChange:
            self._fit_rows()
