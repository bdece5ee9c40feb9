"""The downloads panel: every download as a row of a list (progress, speed, time left), and the
actions of the selected one: Open file, Show in folder, Retry, Cancel.

Bound to a ``DownloadManager``: rows appear for every download it starts and follow its
progress. "Done" is shown only once the file is complete under its final name. The rows are
painted by a delegate (``downloads_list.py``), so a thousand downloads cost a thousand entries
of a list, not ten thousand widgets.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

from PySide6.QtCore import QItemSelectionModel, QObject, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import DownloadProgress, DownloadState
from jobmonitor.ui.a11y import ValueLabel
from jobmonitor.ui.downloads_list import (
    DownloadList,
    DownloadsModel,
    display_name,
    note_text,
    progress_text,
)
from jobmonitor.ui.reveal import FileShower

__all__ = ["DownloadsPanel", "progress_text"]

UrlOpener = Callable[[QUrl], bool]

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
        # Kept as rows change state, so a progress update does not count every row again
        # (Download all of 1,000 files: a million steps).
        self._states: Counter[DownloadState] = Counter()
        # The header's counts are shown a few times a second, not at each change: a new text
        # lays the panel out again, and 1,000 downloads change state 3,000 times.
        self._header_timer = QTimer(self)
        self._header_timer.setSingleShot(True)
        self._header_timer.setInterval(DownloadsModel.REPAINT_MS)
        self._header_timer.timeout.connect(self._refresh_header)
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

        self.model = DownloadsModel(self)
        self.view = DownloadList(self.model)  # a table that looks like a list: see its docstring
        self.view.setAccessibleName("Download list")
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.view.activated.connect(lambda _index: self.open_file())  # Enter or double-click
        self._current_job: str | None = None  # the selected download's job (see _on_progress)
        self.view.selectionModel().currentChanged.connect(lambda *_: self._current_changed())
        self.model.rowsInserted.connect(self._on_rows_inserted)

        # The selected download: its whole detail (a failure's message in full) and actions.
        self.detail_label = ValueLabel("Selected download")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        style = self.style()
        self.open_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_FileIcon), "&Open file"
        )
        self.folder_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon), "Show in &folder"
        )
        self.retry_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload), "&Retry"
        )
        self.cancel_button = QPushButton(
            style.standardIcon(QStyle.StandardPixmap.SP_DialogCancelButton), "&Cancel"
        )
        self.open_button.clicked.connect(self.open_file)
        self.folder_button.clicked.connect(self.show_in_folder)
        self.retry_button.clicked.connect(self._retry)
        self.cancel_button.clicked.connect(self._cancel)
        actions = QHBoxLayout()
        actions.setSpacing(6)
        for button in (self.open_button, self.folder_button, self.retry_button, self.cancel_button):
            button.setFlat(True)
            actions.addWidget(button)
        actions.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.detail_label)
        layout.addLayout(actions)

        self._bridge = _Bridge(self)
        self._bridge.progressed.connect(self._on_progress)
        gui_thread = threading.get_ident()

        def listener(progress: DownloadProgress) -> None:
            # On the GUI thread (qasync: always) a direct call; a queued signal from elsewhere.
            # A signal carrying a Python object cost a fraction of a millisecond per update.
            if threading.get_ident() == gui_thread:
                self._on_progress(progress)
            else:
                self._bridge.progressed.emit(progress)

        manager.add_listener(listener)
        self.destroyed.connect(lambda *_: manager.remove_listener(listener))
        for download in manager.downloads:
            self._on_progress(download.progress)
        self.model.announce()
        self._refresh_empty()
        self._refresh_actions()

    # -- what tests and the window ask -----------------------------------------------------

    def progress(self, job_id: str) -> DownloadProgress | None:
        """What the row of ``job_id`` shows, or None when it has no row."""
        return self.model.progress(job_id)

    @property
    def job_ids(self) -> list[str]:
        """The downloads listed, newest first."""
        return self.model.job_ids()

    def select(self, job_id: str) -> bool:
        row = self.model.row_of(job_id)
        if row is None:
            return False
        self.view.selectionModel().setCurrentIndex(
            self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
        )
        return True

    def current(self) -> DownloadProgress | None:
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        data = self.model.data(index, Qt.ItemDataRole.UserRole + 1)
        return data if isinstance(data, DownloadProgress) else None

    # -- actions on the selected download --------------------------------------------------

    def open_file(self) -> None:
        p = self.current()
        if p is not None and p.state is DownloadState.DONE and p.path is not None:
            self.shower.open_file(p.path)  # a failure comes back through _shower_failed

    def show_in_folder(self) -> None:
        p = self.current()
        if p is not None and p.state is DownloadState.DONE and p.path is not None:
            self.shower.show_in_folder(p.path)  # selects it in the file manager where it can

    def _retry(self) -> None:
        p = self.current()
        if p is not None:
            self._manager.retry(p.job_id)

    def _cancel(self) -> None:
        p = self.current()
        if p is not None:
            self._manager.cancel(p.job_id)

    def _shower_failed(self, text: str) -> None:
        """Show in folder answers later (D-Bus): its failure is shown under the list."""
        self.detail_label.setText(text)
        self.detail_label.setVisible(True)

    def clear_finished(self) -> None:
        for p in self.model.remove_finished():
            self._states[p.state] -= 1
        self._current_changed()  # a reset moves the current row without a signal
        self._refresh_empty()
        self._refresh_actions()

    # -- following the manager -------------------------------------------------------------

    def _on_progress(self, progress: object) -> None:
        assert isinstance(progress, DownloadProgress)
        before = self.model.progress(progress.job_id)
        if self.model.put(progress):
            self._states[progress.state] += 1
            if len(self.model) == 1:
                self._refresh_empty()
            elif not self._header_timer.isActive():  # Download all adds 1,000: a label each
                self._header_timer.start()
            return
        if before is not None and progress.state is not before.state:
            self._states[before.state] -= 1
            self._states[progress.state] += 1
            if not self._header_timer.isActive():  # counted now, shown a moment later
                self._header_timer.start()
        # The selected job as last seen, not asked of the view: Download all makes thousands
        # of updates a second and the question was several calls into Qt each.
        if progress.job_id == self._current_job:
            self._refresh_actions()

    def _current_changed(self) -> None:
        p = self.current()
        self._current_job = p.job_id if p is not None else None
        self._refresh_actions()

    def _on_rows_inserted(self, *_: object) -> None:
        if not self.view.currentIndex().isValid():  # the first one: its actions at hand
            self.view.setCurrentIndex(self.model.index(0))

    def _refresh_actions(self) -> None:
        """The buttons and the detail line follow the selected download."""
        p = self.current()
        state = p.state if p is not None else None
        self.cancel_button.setVisible(state is not None and not state.terminal)
        self.retry_button.setVisible(state in (DownloadState.FAILED, DownloadState.CANCELLED))
        done = state is DownloadState.DONE
        self.open_button.setVisible(done)
        self.folder_button.setVisible(done)
        if p is None:
            self.detail_label.setText("")
            self.detail_label.setVisible(False)
            return
        name = display_name(p)
        self.cancel_button.setAccessibleName(f"Cancel download of {name}")
        self.retry_button.setAccessibleName(f"Retry download of {name}")
        self.open_button.setAccessibleName(f"Open {name}")
        self.folder_button.setAccessibleName(f"Show {name} in its folder")
        note = note_text(p)
        detail = f"{name}: {p.state.label}. {progress_text(p)}" + (f" {note}" if note else "")
        self.detail_label.setText(detail)
        self.detail_label.setVisible(True)

    def sizeHint(self) -> QSize:
        """Tall enough for a few downloads and the actions: a dock opens at its panel's size
        hint, and the list alone would ask for a sliver."""
        hint = super().sizeHint()
        return QSize(hint.width(), max(hint.height(), self.fontMetrics().lineSpacing() * 13))

    def _refresh_empty(self) -> None:
        empty = len(self.model) == 0
        self.empty_label.setVisible(empty)
        self.view.setVisible(not empty)
        self._refresh_header()

    def _refresh_header(self) -> None:
        """The header counts the downloads by state ("1 saving, 2 done"; the dock has the title),
        and Clear finished is there when something finished."""
        self._header_timer.stop()
        states = self._states
        parts = [f"{states[s]} {_SUMMARY[s]}" for s in _SUMMARY if states[s]]
        self.title.setText(", ".join(parts) if parts else "No downloads")
        self.clear_button.setEnabled(any(n > 0 for s, n in states.items() if s.terminal))
