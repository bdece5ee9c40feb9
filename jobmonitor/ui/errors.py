"""Uncaught exceptions: logged (never printed) and shown in a readable dialog; the app's logging.

``setup_logging`` writes a rotating log under ``core.paths.log_dir()`` through a filter that
removes every known key (``core.redact``). ``install_excepthook`` routes ``sys.excepthook`` (which
also receives exceptions from qasync's ``asyncSlot``) and ``threading.excepthook`` to the log and
to one non-blocking message box at a time.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QThread, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QTextEdit, QWidget

from jobmonitor import APP_NAME, __version__
from jobmonitor.core.paths import log_dir
from jobmonitor.core.redact import RedactingFilter, redact

log = logging.getLogger(__name__)

LOG_FILE_NAME = "jobmonitor.log"
LOG_MAX_BYTES = 1_000_000
LOG_BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
_MAX_SUMMARY = 240

_handler: logging.Handler | None = None
_log_file: Path | None = None


def setup_logging(level: int | str = logging.INFO, *, folder: Path | None = None) -> Path:
    """Log to ``<log_dir>/jobmonitor.log`` (rotated), secrets removed. Returns the file's path.

    Calling it again replaces the previous handler (a new level or folder). Nothing goes to
    stdout: a desktop app has no one reading it, and a traceback there would be lost anyway.
    """
    global _handler, _log_file
    folder = folder if folder is not None else log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOG_FILE_NAME
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter(_FORMAT))
    # On the handler, not a logger: handler filters see records from every logger.
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
        _handler.close()
    root.addHandler(handler)
    root.setLevel(level)
    _handler, _log_file = handler, path
    log.info("%s %s started logging at %s", APP_NAME, __version__, logging.getLevelName(level))
    return path


def log_file() -> Path | None:
    """The log file set up by ``setup_logging``, if any."""
    return _log_file


def summary(exc: BaseException) -> str:
    """What happened, in one sentence (redacted, shortened)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    what = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    what = redact(what)
    if len(what) > _MAX_SUMMARY:
        what = what[: _MAX_SUMMARY - 1] + "…"
    return f"An unexpected error stopped the last action ({what})."


def details(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> str:
    """The full report for the log and the Copy button: versions and the traceback, redacted."""
    trace = "".join(traceback.format_exception(exc_type, exc, tb))
    head = f"{APP_NAME} {__version__}, Python {sys.version.split()[0]}, {sys.platform}\n\n"
    return redact(head + trace)


class ErrorReporter(QObject):
    """Owns the installed hooks and the error dialog; ``shown`` fires when a dialog opens."""

    shown = Signal(QMessageBox)
    # Exceptions from other threads are handed to the GUI thread through this (queued) signal.
    _raised_elsewhere = Signal(str, str)

    def __init__(self, parent_getter: Callable[[], QWidget | None]) -> None:
        super().__init__()
        self._parent_getter = parent_getter
        self._dialog: QMessageBox | None = None
        self._more = 0
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        self._raised_elsewhere.connect(self._show, Qt.ConnectionType.QueuedConnection)

    @property
    def dialog(self) -> QMessageBox | None:
        return self._dialog

    def install(self) -> None:
        self._previous_hook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self.excepthook
        threading.excepthook = self._thread_hook

    def uninstall(self) -> None:
        """Put back the hooks found at install, unless someone replaced ours since."""
        if sys.excepthook == self.excepthook:
            sys.excepthook = self._previous_hook
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._previous_thread_hook
        if self._dialog is not None:
            self._dialog.close()

    def excepthook(
        self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            QApplication.quit()  # Ctrl+C in a terminal: leave, quietly
            return
        text = details(exc_type, exc, tb)
        log.critical("Uncaught exception:\n%s", text)
        app = QApplication.instance()
        if app is None or QThread.currentThread() is not app.thread():
            self._raised_elsewhere.emit(summary(exc), text)
            return
        self._show(summary(exc), text)

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        self.excepthook(args.exc_type, args.exc_value, args.exc_traceback)

    def _show(self, sentence: str, text: str) -> None:
        if QApplication.instance() is None:
            return
        if self._dialog is not None and self._dialog.isVisible():
            # One dialog at a time: a fault in a loop must not bury the user in boxes.
            self._more += 1
            self._dialog.setInformativeText(self._informative())
            return
        self._more = 0
        box = QMessageBox(self._parent_getter())
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle(f"{APP_NAME} — unexpected error")
        box.setText(sentence)
        box.setInformativeText(self._informative())
        box.setDetailedText(text)  # QMessageBox's "Show Details…" expands it
        for view in box.findChildren(QTextEdit):  # a traceback reads best in monospace, wide
            view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
            view.setMinimumWidth(640)
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        copy = box.addButton("&Copy details", QMessageBox.ButtonRole.ActionRole)
        copy.setAccessibleName("Copy error details")
        # An ActionRole button would close the box; copying should leave it open.
        copy.clicked.disconnect()
        copy.clicked.connect(lambda: self._copy(copy, text))
        box.addButton(QMessageBox.StandardButton.Close)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.destroyed.connect(self._forget)
        box.setModal(False)  # never a nested event loop inside an exception hook
        self._dialog = box
        box.show()
        self.shown.emit(box)

    def _informative(self) -> str:
        where = f" Details are in the log file {_log_file}." if _log_file else ""
        more = f"\n\n{self._more} more error(s) happened since; see the log." if self._more else ""
        return f"The app keeps running; you can carry on.{where}{more}"

    def _copy(self, button: QPushButton, text: str) -> None:
        QGuiApplication.clipboard().setText(text)
        button.setText("Copied")

    def _forget(self) -> None:
        self._dialog = None


_reporter: ErrorReporter | None = None


def install_excepthook(parent_getter: Callable[[], QWidget | None]) -> ErrorReporter:
    """Route uncaught exceptions (main thread, other threads, async slots) to log and dialog.

    Installing again replaces the previous reporter. The returned reporter can ``uninstall``.
    """
    global _reporter
    if _reporter is not None:
        _reporter.uninstall()
    _reporter = ErrorReporter(parent_getter)
    _reporter.install()
    return _reporter
