"""The downloads panel: one row per download with progress, speed, time left, and its actions.

Bound to a ``DownloadManager``: rows appear for every download it starts and follow its
progress. "Done" is shown only once the file is complete under its final name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from PySide6.QtCore import QObject, QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import (
    DownloadProgress,
    DownloadState,
    format_eta,
    human_size,
)
from jobmonitor.ui.a11y import ValueLabel
from jobmonitor.ui.reveal import FileShower

UrlOpener = Callable[[QUrl], bool]
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
    if p.state is DownloadState.DONE:  # the state label already says Done
        folder = p.path.parent if p.path is not None else None
        return human_size(p.bytes_done) + (f" · in {folder}" if folder else "")
    if p.state is DownloadState.FAILED:
        return p.message  # the row's state already says Failed
    return p.message or "Cancelled"


class DownloadRow(QFrame):
    """One download: name, state, bar, detail line, and the actions that fit its state."""

    def __init__(
        self, manager: DownloadManager, progress: DownloadProgress, shower: FileShower
    ) -> None:
        super().__init__()
        self.job_id = progress.job_id
        self._manager = manager
        self._shower = shower
        self._progress = progress
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)

        self.name_label = QLabel()
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.name_label.font()
        font.setBold(True)
        self.name_label.setFont(font)
        self.state_label = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, _BAR_STEPS)
        self.bar.setTextVisible(True)
        self.detail_label = QLabel()
        self.detail_label.setWordWrap(True)
        self.note_label = QLabel()  # a retry notice and the like, while saving
        self.note_label.setWordWrap(True)

        style = self.style()
        self.cancel_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogCancelButton), "&Cancel"
        )
        self.retry_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "&Retry"
        )
        self.open_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_FileIcon), "&Open file"
        )
        self.folder_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon), "Show in &folder"
        )
        self.cancel_button.clicked.connect(lambda: self._manager.cancel(self.job_id))
        self.retry_button.clicked.connect(lambda: self._manager.retry(self.job_id))
        self.open_button.clicked.connect(self.open_file)
        self.folder_button.clicked.connect(self.show_in_folder)

        # Two lines: name, state and actions; then the bar (while saving) and the details.
        # Compact enough that a small dock shows several downloads, not one.
        self.bar.setMaximumHeight(self.fontMetrics().height())
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.name_label, 1)
        top.addWidget(self.state_label)
        for button in (self.open_button, self.folder_button, self.retry_button, self.cancel_button):
            button.setFlat(True)
            top.addWidget(button)
        second = QHBoxLayout()
        second.setSpacing(8)
        second.addWidget(self.bar, 1)
        second.addWidget(self.detail_label, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.setSpacing(2)
        layout.addLayout(top)
        layout.addLayout(second)
        layout.addWidget(self.note_label)
        self.update_progress(progress)

    @property
    def progress(self) -> DownloadProgress:
        return self._progress

    def update_progress(self, p: DownloadProgress) -> None:
        self._progress = p
        name = p.path.name if p.path is not None else f"Result of job {p.job_id}"
        self.name_label.setText(name)
        self.name_label.setToolTip(str(p.path) if p.path is not None else "")
        self.state_label.setText(p.state.label)
        detail = progress_text(p)
        self.detail_label.setText(detail)
        # While saving: what is going on besides the bytes (a retry, a fresh link, the fsync).
        routine = not p.message or p.message.startswith(("Saving to ", "Connecting"))
        note = p.message if p.state is DownloadState.SAVING and not routine else ""
        self.note_label.setText(note)
        self.note_label.setVisible(bool(note))

        fraction = p.fraction
        if p.state is DownloadState.SAVING and fraction is None:
            self.bar.setRange(0, 0)  # size unknown: a busy bar
        else:
            self.bar.setRange(0, _BAR_STEPS)
            self.bar.setValue(int((fraction or 0.0) * _BAR_STEPS))
        self.bar.setVisible(p.state in (DownloadState.QUEUED, DownloadState.SAVING))

        running = not p.state.terminal
        self.cancel_button.setVisible(running)
        self.retry_button.setVisible(p.state in (DownloadState.FAILED, DownloadState.CANCELLED))
        done = p.state is DownloadState.DONE
        self.open_button.setVisible(done)
        self.folder_button.setVisible(done)

        self.setAccessibleName(f"Download of {name}: {p.state.label}")
        self.bar.setAccessibleName(f"Progress of {name}")
        self.bar.setAccessibleDescription(detail)
        self.cancel_button.setAccessibleName(f"Cancel download of {name}")
        self.retry_button.setAccessibleName(f"Retry download of {name}")
        self.open_button.setAccessibleName(f"Open {name}")
        self.folder_button.setAccessibleName(f"Show {name} in its folder")

    def open_file(self) -> None:
        path = self._progress.path
        if self._progress.state is DownloadState.DONE and path is not None:
            self._shower.open_file(path)  # a failure comes back through the panel

    def show_in_folder(self) -> None:
        path = self._progress.path
        if self._progress.state is DownloadState.DONE and path is not None:
            self._shower.show_in_folder(path)  # selects it in the file manager where it can

    def show_failure(self, text: str) -> None:
        self.note_label.setText(text)
        self.note_label.setVisible(True)


_SUMMARY = {
    DownloadState.SAVING: "saving",
    DownloadState.QUEUED: "waiting",
    DownloadState.DONE: "done",
    DownloadState.FAILED: "failed",
    DownloadState.CANCELLED: "cancelled",
}


class _Bridge(QObject):
    """Carries the manager's callbacks into the GUI thread (direct when already there)."""

    progressed = Signal(object)


class DownloadsPanel(QWidget):
    """Every download of ``manager``, newest first, with Clear finished."""

    def __init__(
        self,
        manager: DownloadManager,
        parent: QWidget | None = None,
        *,
        open_url: UrlOpener | None = None,
    ) -> None:
        super().__init__(parent)
        self._manager = manager
        self.shower = FileShower(self, open_url=open_url or QDesktopServices.openUrl)
        self.shower.failed.connect(self._shower_failed)
        self._rows: dict[str, DownloadRow] = {}
        # Kept as rows change state, so a progress update does not count every row again
        # (Download all of 1,000 files: a million steps).
        self._states: Counter[DownloadState] = Counter()
        self.setAccessibleName("Downloads")

        self.title = ValueLabel("Downloads summary", "No downloads")
        self.clear_button = QPushButton("C&lear finished")
        self.clear_button.setShortcut(QKeySequence("Ctrl+Shift+L"))
        self.clear_button.setToolTip(
            "Remove finished, failed and cancelled downloads (Ctrl+Shift+L)"
        )
        self.clear_button.setAccessibleName("Clear finished downloads")
        self.clear_button.clicked.connect(self.clear_finished)
        header = QHBoxLayout()
        header.addWidget(self.title, 1)
        header.addWidget(self.clear_button)

        self.empty_label = QLabel(
            "No downloads yet. Finished jobs can be downloaded from the list."
        )
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._list = QWidget()
        self._list_layout = QVBoxLayout(self._list)
        self._list_layout.setContentsMargins(0, 0, 0, 0)
        self._list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setAccessibleName("Download list")
        scroll.setWidgetResizable(True)
        scroll.setWidget(self._list)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.empty_label)
        layout.addWidget(scroll, 1)

        self._bridge = _Bridge(self)
        self._bridge.progressed.connect(self._on_progress)
        emit = self._bridge.progressed.emit
        manager.add_listener(emit)
        self.destroyed.connect(lambda *_: manager.remove_listener(emit))
        for download in manager.downloads:
            self._on_progress(download.progress)
        self._refresh_empty()

    def _shower_failed(self, text: str) -> None:
        """Show in folder answers later (D-Bus): its failure goes to the row of that file."""
        for row in self._rows.values():
            path = row.progress.path
            if path is not None and path.name in text:
                row.show_failure(text)
                return

    def row(self, job_id: str) -> DownloadRow | None:
        return self._rows.get(job_id)

    @property
    def rows(self) -> list[DownloadRow]:
        return list(self._rows.values())

    def clear_finished(self) -> None:
        for job_id, row in list(self._rows.items()):
            if row.progress.state.terminal:
                self._states[row.progress.state] -= 1
                del self._rows[job_id]
                self._list_layout.removeWidget(row)
                row.deleteLater()
        self._refresh_empty()

    def _on_progress(self, progress: object) -> None:
        assert isinstance(progress, DownloadProgress)
        row = self._rows.get(progress.job_id)
        if row is None:
            row = DownloadRow(self._manager, progress, self.shower)
            self._rows[progress.job_id] = row
            self._states[progress.state] += 1
            self._list_layout.insertWidget(0, row)  # newest first
            self._refresh_empty()
            return
        before = row.progress.state
        row.update_progress(progress)
        if progress.state is not before:
            self._states[before] -= 1
            self._states[progress.state] += 1
            self._refresh_header()

    def sizeHint(self) -> QSize:
        """Tall enough for a download with its buttons: a dock opens at its panel's size hint,
        and the scroll area alone would ask for a sliver that cuts the first row off."""
        hint = super().sizeHint()
        return QSize(hint.width(), max(hint.height(), self.fontMetrics().lineSpacing() * 13))

    def _refresh_empty(self) -> None:
        self.empty_label.setVisible(not self._rows)
        self._refresh_header()

    def _refresh_header(self) -> None:
        """The header counts the downloads by state ("1 saving, 2 done"; the dock has the title),
        and Clear finished is there when something finished."""
        states = self._states
        parts = [f"{states[s]} {_SUMMARY[s]}" for s in _SUMMARY if states[s]]
        self.title.setText(", ".join(parts) if parts else "No downloads")
        self.clear_button.setEnabled(any(n > 0 for s, n in states.items() if s.terminal))
