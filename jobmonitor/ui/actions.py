"""The window's actions (each with a shortcut and an accessible name) and what they do."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QIcon,
    QKeySequence,
    QPainter,
    QPalette,
    QUndoCommand,
    QUndoStack,
)
from PySide6.QtWidgets import QFileDialog, QStyle, QWidget

from jobmonitor.core.polling.controller import PollingController
from jobmonitor.core.watchlist.changes import RemovedJobs
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui.add_jobs import JobAdder
from jobmonitor.ui.icons import action_icon


class RemoveJobsCommand(QUndoCommand):
    """Removing jobs, undoable: undo puts back the same records with their history."""

    def __init__(self, watchlist: WatchList, job_ids: list[str]) -> None:
        n = len(job_ids)
        super().__init__(f"Remove {n} job{'s' if n != 1 else ''}")
        self._watchlist = watchlist
        self._ids = job_ids
        self._removed: RemovedJobs | None = None

    def redo(self) -> None:
        self._removed = self._watchlist.remove(self._ids)

    def undo(self) -> None:
        if self._removed is not None:
            self._watchlist.put_back(self._removed)


SP = QStyle.StandardPixmap
Theme = QIcon.ThemeIcon


def themed_icon(
    widget: QWidget,
    theme: Theme | str,
    fallback: QStyle.StandardPixmap | None = None,
    *,
    glyph: bool = False,
) -> QIcon:
    """The desktop theme's icon for a command, else the Qt style's own where one fits (else
    none: the toolbar then shows the text alone rather than a misleading picture).

    ``glyph``: the style's icon is a black shape (media keys, arrows); it is drawn in the
    palette's text colour instead, so it stays visible on a dark palette.
    """
    icon = QIcon.fromTheme(theme)
    if icon.isNull() and fallback is not None:
        icon = widget.style().standardIcon(fallback)
        if glyph:
            icon = _tinted(icon, widget.palette().color(QPalette.ColorRole.ButtonText))
    return icon


def _tinted(icon: QIcon, color: QColor) -> QIcon:
    tinted = QIcon()
    for size in (16, 22, 24, 32):
        pixmap = icon.pixmap(size, size)
        if pixmap.isNull():
            continue
        painter = QPainter(pixmap)
        painter.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceIn)
        painter.fillRect(pixmap.rect(), color)
        painter.end()
        tinted.addPixmap(pixmap)
    return tinted


class JobActions(QObject):
    """Owns the QActions; ``selected_ids`` says which jobs the user has selected."""

    message = Signal(str)  # a short note for the status bar
    find_requested = Signal()
    add_requested = Signal()
    settings_requested = Signal()
    quit_requested = Signal()
    report_requested = Signal()
    download_requested = Signal()
    download_all_requested = Signal()
    export_requested = Signal()
    select_all_requested = Signal()
    removing = Signal(int)  # how many selected jobs are about to be removed (the window lets go)

    def __init__(
        self,
        watchlist: WatchList,
        polling: PollingController,
        adder: JobAdder,
        selected_ids: Callable[[], list[str]],
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self._watchlist = watchlist
        self._polling = polling
        self._adder = adder
        self._selected = selected_ids
        self._parent = parent
        self.undo_stack = QUndoStack(self)

        def make(
            text: str,
            shortcut: QKeySequence | QKeySequence.StandardKey | str,
            tip: str,
            slot: Callable[[], None],
        ) -> QAction:
            action = QAction(text, parent)
            action.setShortcut(QKeySequence(shortcut))
            plain = text.replace("&", "").rstrip(".…")
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({keys})" if keys else tip)
            action.setStatusTip(tip)
            action.setObjectName(plain.lower().replace(" ", "_"))
            # Qt reads the text of an action as its accessible name; keep the text plain words.
            action.setWhatsThis(tip)
            action.triggered.connect(slot)
            parent.addAction(action)
            return action

        # Ctrl+L ("go to the field", as in a browser): Ctrl+N is File › New job.
        self.add = make("&Add job ids", "Ctrl+L", "Type or paste job ids", self.add_requested.emit)
        self.import_file = make(
            "Add ids from &file…",
            QKeySequence.StandardKey.Open,
            "Add the ids in a text or CSV file",
            self.import_from_file,
        )
        self.remove = make(
            "&Remove",
            QKeySequence.StandardKey.Delete,
            "Stop watching the selected jobs",
            self.remove_selected,
        )
        self.undo = self.undo_stack.createUndoAction(parent, "&Undo")
        self.undo.setShortcut(QKeySequence.StandardKey.Undo)
        self.undo.setToolTip("Undo the last removal (Ctrl+Z)")
        self.undo.setObjectName("undo")
        parent.addAction(self.undo)
        self.redo = self.undo_stack.createRedoAction(parent, "&Redo")
        self.redo.setShortcut(QKeySequence.StandardKey.Redo)
        self.redo.setObjectName("redo")
        parent.addAction(self.redo)
        self.check_now = make(
            "Check &now",
            "F5",
            "Ask the API about the selected jobs now (all, if none is selected)",
            self.check_selected,
        )
        self.pause = make(
            "&Pause polling",
            "Ctrl+Shift+P",
            "Stop or restart asking the API",
            polling.toggle_paused,
        )
        self.pause.setCheckable(True)
        polling.paused_changed.connect(self._show_paused)
        self.copy_ids = make(
            "&Copy job ids",
            QKeySequence.StandardKey.Copy,
            "Copy the selected job ids",
            self.copy_selected_ids,
        )
        self.copy_report = make(
            "Copy support &report",
            "Ctrl+Shift+C",
            "Copy a support report for the selected job",
            self.report_requested.emit,
        )
        self.download = make(
            "&Download result",
            "Ctrl+D",
            "Save the selected job's result file",
            self.download_requested.emit,
        )
        self.download_all = make(
            "Download &all finished",
            "Ctrl+Shift+D",
            "Save the result file of every finished job not downloaded yet",
            self.download_all_requested.emit,
        )
        self.export = make(
            "&Export list as CSV…",
            "Ctrl+E",
            "Save the jobs shown (filter and sort applied) with their status and errors as CSV",
            self.export_requested.emit,
        )
        self.select_all = make(
            "Select &all",
            QKeySequence.StandardKey.SelectAll,
            "Select every job shown",
            self.select_all_requested.emit,
        )
        self.find = make(
            "&Find",
            QKeySequence.StandardKey.Find,
            "Search by id, label or error code",
            self.find_requested.emit,
        )
        self.settings = make(
            "&Settings…",
            "Ctrl+,",
            "API key, base URL, request budget, downloads, notifications",
            self.settings_requested.emit,
        )
        self.quit = make("&Quit", "Ctrl+Q", "Quit the app", self.quit_requested.emit)
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.settings.setMenuRole(QAction.MenuRole.PreferencesRole)
        self._set_icons(parent)

    def _set_icons(self, widget: QWidget) -> None:
        """Icons for the toolbar and menus; short toolbar texts where the menu text is long."""
        glyphs = (SP.SP_MediaPause, SP.SP_MediaPlay, SP.SP_ArrowBack, SP.SP_ArrowForward)
        icons: tuple[tuple[QAction, Theme | str, QStyle.StandardPixmap | None], ...] = (
            (self.import_file, Theme.DocumentOpen, SP.SP_DialogOpenButton),
            (self.check_now, Theme.ViewRefresh, SP.SP_BrowserReload),
            (self.pause, Theme.MediaPlaybackPause, SP.SP_MediaPause),
            (self.remove, Theme.EditDelete, SP.SP_TrashIcon),
            (self.undo, Theme.EditUndo, SP.SP_ArrowBack),
            (self.redo, Theme.EditRedo, SP.SP_ArrowForward),
            (self.download, Theme.DocumentSave, SP.SP_DialogSaveButton),
            (self.download_all, "folder-download", None),
            (self.copy_ids, Theme.EditCopy, None),
            (self.copy_report, Theme.EditCopy, None),
            (self.find, Theme.EditFind, None),
            (self.settings, "preferences-system", None),
            (self.quit, Theme.ApplicationExit, None),
        )
        own = {  # the toolbar's commands Qt's style has no icon for
            self.download_all: "action-download-all",
            self.copy_report: "action-copy-report",
            self.settings: "action-settings",
        }
        for action, theme, fallback in icons:
            icon = themed_icon(widget, theme, fallback, glyph=fallback in glyphs)
            if icon.isNull() and action in own:
                icon = action_icon(own[action])
            action.setIcon(icon)
        self._pause_icons = (
            self.pause.icon(),
            themed_icon(widget, Theme.MediaPlaybackStart, SP.SP_MediaPlay, glyph=True),
        )
        self.import_file.setIconText("Add from file")
        self.download_all.setIconText("Download all")
        self.copy_report.setIconText("Copy report")
        # "Undo Remove 3 jobs" would widen the button and push the toolbar sideways: the
        # toolbar says Undo, the tooltip and the menu say what.
        self.undo.setIconText("Undo")
        self.undo_stack.undoTextChanged.connect(self._undo_tip)

    def _undo_tip(self, text: str) -> None:
        what = f"Undo {text.lower()}" if text else "Undo the last removal"
        self.undo.setToolTip(f"{what} (Ctrl+Z)")

    # -- slots -----------------------------------------------------------------------------

    def remove_selected(self) -> None:
        ids = self._selected()
        if not ids:
            return
        self.removing.emit(len(ids))
        self.undo_stack.push(RemoveJobsCommand(self._watchlist, ids))
        n = len(ids)
        self.message.emit(f"Removed {n} job{'s' if n != 1 else ''}. Undo with Ctrl+Z.")

    def check_selected(self) -> None:
        ids = self._selected() or [j.job_id for j in self._watchlist.jobs()]
        self._polling.check_now(ids)
        n = len(ids)
        self.message.emit(f"Checking {n} job{'s' if n != 1 else ''} now…")

    def copy_selected_ids(self) -> None:
        ids = self._selected()
        if ids:
            QGuiApplication.clipboard().setText("\n".join(ids))
            self.message.emit(f"Copied {len(ids)} job id{'s' if len(ids) != 1 else ''}.")

    def import_from_file(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self._parent,
            "Import job ids",
            "",
            "Text or CSV files (*.txt *.csv *.tsv *.log);;All files (*)",
        )
        if name:
            self._adder.add_files_in_background([Path(name)])

    def _show_paused(self, paused: bool) -> None:
        self.pause.setChecked(paused)
        self.pause.setText("&Resume polling" if paused else "&Pause polling")
        self.pause.setIcon(self._pause_icons[1 if paused else 0])
