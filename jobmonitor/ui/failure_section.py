"""The details panel's failure box: code, message, line, column, every detail, and the failure
shown in its input when the job names a line and the input is known (submitted or attached)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QDropEvent, QFontDatabase
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.excerpt import excerpt_text
from jobmonitor.core.watchlist.failure import failure_fields
from jobmonitor.core.watchlist.input_check import InputLook, failure_position
from jobmonitor.core.watchlist.job_inputs import JobInput
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.ui.input_excerpt import NO_INPUT, InputExcerpt, InputLoader, LookKey
from jobmonitor.ui.job_text import field_name

FROM_URL = (
    "The input was a URL: attach a copy of the file (or drop it here) to see the failure in it."
)


def _selectable(text: str, *, mono: bool) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if mono:
        label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return label


def job_failure_position(job: WatchedJob | None) -> tuple[int, int | None] | None:
    """Where a failed job's error points in its input, if it names a line."""
    if job is None or job.state is not JobState.FAILED:
        return None
    error = job.snapshot.error if job.snapshot is not None else None
    return failure_position(error.details) if error is not None else None


def failure_code(job: WatchedJob) -> str | None:
    error = job.snapshot.error if job.snapshot is not None else None
    return error.code if error is not None else None


class FailureSection(QGroupBox):
    """``show_job`` fills it; ``input_attached(job_id, path)`` when the user attaches an input."""

    input_attached = Signal(str, Path)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Failure", parent)
        # The input recorded for a job (submitted by the app or attached): set by the app.
        self.job_input: Callable[[str], JobInput | None] = lambda _job_id: None
        self._job: WatchedJob | None = None
        self._waiting: LookKey | None = None
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.input = InputExcerpt()
        self.input.hide()
        self.input.attach_requested.connect(self._attach)
        layout.addWidget(self.input)
        self.loader = InputLoader(self)
        self.loader.loaded.connect(self._loaded)

    def wants_input(self) -> bool:
        """Whether an input file dropped now would show the failure (the job names a line)."""
        return job_failure_position(self._job) is not None

    def show_job(self, job: WatchedJob) -> None:
        self._job = job
        while self.form.rowCount():
            self.form.removeRow(0)
        rows = failure_fields(job)
        for name, text in rows:
            # The API's detail keys ("path", "expected") read like the fixed rows ("Code").
            self.form.addRow(f"{field_name(name)}:", _selectable(text, mono=name == "Code"))
        # The job failed / the API refused the id (settled) / a check went wrong (retried).
        if job.state is JobState.FAILED:
            self.setTitle("Failure")
        else:
            self.setTitle("Problem" if job.state.terminal else "Last check problem")
        self.setVisible(bool(rows))
        self._show_input(job)

    def _show_input(self, job: WatchedJob) -> None:
        position = job_failure_position(job)
        self.input.setVisible(position is not None)
        if position is None:
            self._waiting = None
            return
        record = self.job_input(job.job_id)
        if record is None or record.path is None:
            self._waiting = None
            self.input.show_missing(FROM_URL if record is not None and record.url else NO_INPUT)
            return
        line, column = position
        fingerprint = None if record.attached else record.fingerprint
        key, look = self.loader.request(record.path, line, column, failure_code(job), fingerprint)
        if look is not None:
            self._waiting = None
            self.input.show_look(look)
        elif key != self._waiting:  # a refresh while reading: keep showing "Reading…"
            self._waiting = key
            self.input.show_loading(record.path)

    def _loaded(self, key: LookKey, look: InputLook) -> None:
        if key == self._waiting:
            self._waiting = None
            self.input.show_look(look)

    def _attach(self, path: Path) -> None:
        if self._job is not None:
            self.input_attached.emit(self._job.job_id, path)

    def report_excerpt(self) -> str | None:
        """The shown excerpt with its location, for a support report (None when none is shown)."""
        look = self.input.look
        if not self.wants_input() or look is None or look.excerpt is None:
            return None
        changed = "\n(the input changed since it was submitted)" if look.changed else ""
        return f"{self.input.location_text()}{changed}\n{excerpt_text(look.excerpt)}"

    # -- an input file dropped on the details: the failed job's input ----------------------

    def take_drops_on(self, widget: QWidget) -> None:
        """Let one file dropped on ``widget`` attach the input; anything else goes on to the
        window (ids, files to submit)."""
        widget.setAcceptDrops(True)
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop):
            assert isinstance(event, QDropEvent)  # QDragEnterEvent and QDragMoveEvent are ones
            path = self._dropped_file(event)
            if path is None:
                return False
            event.acceptProposedAction()
            if event.type() == QEvent.Type.Drop:
                self._attach(path)
            return True
        return super().eventFilter(watched, event)

    def _dropped_file(self, event: QDropEvent) -> Path | None:
        data = event.mimeData()
        urls = data.urls() if data is not None and data.hasUrls() else []
        if len(urls) != 1 or not urls[0].isLocalFile() or not self.wants_input():
            return None
        return Path(urls[0].toLocalFile())

    def refresh(self) -> None:
        if self._job is not None:
            self._show_input(self._job)
