"""File › New job (Ctrl+N, a toolbar button, or files dropped on the window that are not lists of
job ids): opens the New job dialog and hands the choice to the app (``submit_requested``).

A controller beside the main window, so the window stays layout and wiring: it adds its action
to the File menu and the toolbar, and watches the window's drops through an event filter. A
dropped file is a list of ids when its start holds one (a text, CSV or log excerpt of ids, or
JSON answers with ``job_id``); any other file is an input to submit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer, Signal
from PySide6.QtGui import QAction, QDropEvent, QKeySequence
from PySide6.QtWidgets import QDialog, QMainWindow, QMenu, QStyle, QToolBar, QWidget

from jobmonitor.api.ids import parse_job_ids
from jobmonitor.ui.actions import themed_icon
from jobmonitor.ui.new_job_dialog import NewJobDialog, NewJobRequest
from jobmonitor.ui.tool_picker import ToolLike

SNIFF_BYTES = 1 << 20  # how much of a dropped file is read to tell a list of ids from an input


def is_id_list(path: Path) -> bool:
    """Whether a file's start holds at least one job id (then it is imported, not submitted)."""
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except OSError:
        return True  # unreadable: the import says why, as before
    parsed = parse_job_ids(head.decode("utf-8", "replace"))
    return bool(parsed.ids or parsed.duplicates)


class NewJobController(QObject):
    """Owns the New job action; ``submit_requested(NewJobRequest)`` after Submit."""

    submit_requested = Signal(object)

    def __init__(
        self,
        window: QMainWindow,
        tools: Callable[[], Sequence[ToolLike]],
        *,
        file_menu: QMenu | None = None,
        toolbar: QToolBar | None = None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self._tools = tools
        self.dialog: NewJobDialog | None = None
        self.start_folder: Callable[[], Path | None] = lambda: None
        # Tests replace this: True when the user pressed Submit.
        self.run_dialog: Callable[[NewJobDialog], bool] = lambda dialog: (
            dialog.exec() == QDialog.DialogCode.Accepted
        )
        self.action = QAction("&New job…", window)
        self.action.setObjectName("new_job")
        self.action.setIcon(themed_icon(window, "document-new", QStyle.StandardPixmap.SP_FileIcon))
        self.action.setShortcut(QKeySequence.StandardKey.New)
        keys = self.action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        tip = "Submit files or URLs to a tool: each input becomes a job"
        self.action.setToolTip(f"{tip} ({keys})")
        self.action.setStatusTip(tip)
        self.action.triggered.connect(lambda: self.open())
        window.addAction(self.action)
        if file_menu is not None:
            first = file_menu.actions()[0] if file_menu.actions() else None
            file_menu.insertAction(first, self.action)  # type: ignore[arg-type]
        if toolbar is not None:
            first = toolbar.actions()[0] if toolbar.actions() else None
            toolbar.insertAction(first, self.action)  # type: ignore[arg-type]
        window.installEventFilter(self)

    def open(
        self, files: Iterable[Path] = (), parent: QWidget | None = None
    ) -> NewJobRequest | None:
        """Show the dialog (with ``files`` already in it); the request if the user submitted."""
        dialog = NewJobDialog(
            self._tools(),
            files=files,
            start_folder=self.start_folder(),
            parent=parent or self._window,
        )
        self.dialog = dialog
        try:
            if not self.run_dialog(dialog):
                return None
            request = dialog.request()
        finally:
            self.dialog = None
            dialog.deleteLater()
        if request is not None:
            self.submit_requested.emit(request)
        return request

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A drop of files none of which lists ids opens New job with them; a mixed drop
        imports the id lists and opens New job with the rest."""
        if event.type() != QEvent.Type.Drop or watched is not self._window:
            return False
        assert isinstance(event, QDropEvent)
        data = event.mimeData()
        if data is None or not data.hasUrls():
            return False
        files = [Path(u.toLocalFile()) for u in data.urls() if u.isLocalFile()]
        inputs = [f for f in files if f.is_file() and not is_id_list(f)]
        if not inputs:
            return False  # the window imports the ids, as before
        event.acceptProposedAction()
        id_lists = [f for f in files if f not in inputs]
        adder = getattr(self._window, "adder", None)
        if id_lists and adder is not None:
            adder.add_files_in_background(id_lists)
        # After the drop returns: a modal dialog inside the drop would hold the drag source.
        QTimer.singleShot(0, lambda: self.open(inputs))
        return True
