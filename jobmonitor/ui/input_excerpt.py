"""The failure shown in its input: the excerpt, whether the file changed, and what to do with it.

``InputExcerpt`` is the section of the details panel; ``InputLoader`` reads the file on a worker
thread (a failure deep in a large file must not freeze the window) and remembers what it read,
so a details refresh on every poll does not read the file again unless it changed on disk.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.core.watchlist.excerpt import location
from jobmonitor.core.watchlist.input_check import InputFingerprint, InputLook, look_at_input
from jobmonitor.ui.excerpt_view import ExcerptView

CHANGED = (
    "⚠ The input changed since it was submitted: the line shown may not be the one that failed."
)
NO_INPUT = (
    "This job was submitted elsewhere. Attach its input file (or drop it here) to see the failure "
    "in it."
)

LookKey = tuple[str, int, int | None, str | None, InputFingerprint | None, int, float]


def _encoding_name(codec: str, bom: bool) -> str:
    name = {"latin-1": "Latin-1"}.get(
        codec, codec.upper().replace("-LE", " LE").replace("-BE", " BE")
    )
    return name + (" with BOM" if bom else "")


class InputLoader(QObject):
    """``request`` reads on one worker thread; ``loaded(key, look)`` arrives on the GUI thread."""

    loaded = Signal(object, object)

    def __init__(self, parent: QObject | None = None, cache_size: int = 16) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="input-excerpt")
        self._cache: OrderedDict[LookKey, InputLook] = OrderedDict()
        self._size = cache_size
        self.loaded.connect(self._remember)

    def request(
        self,
        path: Path,
        line: int,
        column: int | None,
        code: str | None,
        recorded: InputFingerprint | None,
    ) -> tuple[LookKey, InputLook | None]:
        """A look at ``path`` from memory, or started: the key names the ``loaded`` to wait for."""
        try:
            stat = path.stat()
            stamp = (stat.st_size, stat.st_mtime)
        except OSError:
            stamp = (-1, 0.0)
        key: LookKey = (str(path), line, column, code, recorded, *stamp)
        cached = self._cache.get(key)
        if cached is not None:
            return key, cached

        def work() -> None:
            look = look_at_input(path, line, column, code=code, recorded=recorded)
            with contextlib.suppress(RuntimeError):  # the window closed meanwhile
                self.loaded.emit(key, look)

        self._pool.submit(work)
        return key, None

    def _remember(self, key: LookKey, look: InputLook) -> None:
        if look.error is None:
            self._cache[key] = look
            self._cache.move_to_end(key)
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class InputExcerpt(QGroupBox):
    """The "In the input" section; ``attach_requested(path)`` when the user picks or drops a file."""

    attach_requested = Signal(Path)
    message = Signal(str)  # a line for the status bar
    look_changed = Signal()  # an excerpt shown, or none

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("In the input", parent)
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.choose_file: Callable[[], str] = self._ask_for_file
        self._look: InputLook | None = None
        layout = QVBoxLayout(self)
        self.where = QLabel()
        self.where.setWordWrap(True)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel(CHANGED)
        self.notice.setWordWrap(True)
        self.notice.setAccessibleName("Input changed since it was submitted")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.view = ExcerptView()
        for part in (self.where, self.notice, self.problem, self.view):
            layout.addWidget(part)
        buttons = QHBoxLayout()
        self.copy_button = QPushButton("Copy &location")
        self.copy_button.setToolTip("Copy path:line:column, the form editors open")
        self.copy_button.clicked.connect(self.copy_location)
        self.open_button = QPushButton("Open &input")
        self.open_button.setToolTip("Open the input file with its usual application")
        self.open_button.clicked.connect(self.open_input)
        self.attach_button = QPushButton("&Attach input file…")
        self.attach_button.setToolTip(
            "Choose the file this job was given, to see the failure in it"
        )
        self.attach_button.clicked.connect(self.attach)
        for button in (self.copy_button, self.open_button, self.attach_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.show_missing()

    @property
    def look(self) -> InputLook | None:
        return self._look

    def show_missing(self, text: str = NO_INPUT) -> None:
        """No input to show: say why, offer to attach one."""
        self._look = None
        self.where.hide()
        self.notice.hide()
        self.view.hide()
        self.problem.setText(text)
        self.problem.show()
        self.copy_button.hide()
        self.open_button.hide()
        self.attach_button.setText("&Attach input file…")
        self.look_changed.emit()

    def show_loading(self, path: Path) -> None:
        self.show_missing(f"Reading {path.name}…")

    def show_look(self, look: InputLook) -> None:
        self._look = look
        excerpt = look.excerpt
        self.where.setText(
            str(look.path)
            if excerpt is None
            else f"{look.path}  ({_encoding_name(excerpt.encoding, excerpt.bom)})"
        )
        self.where.show()
        self.notice.setVisible(bool(look.changed))
        trouble = look.error or (excerpt.problem if excerpt is not None else None)
        self.problem.setText(f"{trouble[:1].upper()}{trouble[1:]}." if trouble else "")
        self.problem.setVisible(bool(trouble))
        self.view.setVisible(excerpt is not None)
        if excerpt is not None:
            self.view.show_excerpt(excerpt)
        self.copy_button.setVisible(excerpt is not None)
        self.open_button.setVisible(look.error is None)
        self.attach_button.setText("Attach another &file…")
        self.look_changed.emit()

    def location_text(self) -> str | None:
        look = self._look
        if look is None or look.excerpt is None:
            return None
        return location(look.path, look.excerpt.line, look.excerpt.column)

    def copy_location(self) -> None:
        text = self.location_text()
        if text is not None:
            QGuiApplication.clipboard().setText(text)
            self.message.emit(f"Copied {text}")

    def open_input(self) -> None:
        if self._look is not None and not self.open_url(QUrl.fromLocalFile(str(self._look.path))):
            self.message.emit(f"Could not open {self._look.path.name}")

    def attach(self) -> None:
        chosen = self.choose_file()
        if chosen:
            self.attach_requested.emit(Path(chosen))

    def _ask_for_file(self) -> str:
        start = str(self._look.path.parent) if self._look is not None else ""
        name, _filter = QFileDialog.getOpenFileName(self, "Attach the job's input file", start)
        return name
