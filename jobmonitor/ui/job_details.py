"""The details panel for one job: history timeline, failure, result preview, raw answer, support report."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from jobmonitor import __version__
from jobmonitor.api.models import JobResult
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.db import HistoryEntry, SavedFile, WatchedJob
from jobmonitor.core.watchlist.failure import as_text
from jobmonitor.core.watchlist.report import build_support_report
from jobmonitor.ui.a11y import ValueLabel
from jobmonitor.ui.failure_section import FailureSection
from jobmonitor.ui.job_text import field_name, status_text
from jobmonitor.ui.reveal import FileShower
from jobmonitor.ui.timefmt import absolute, short_local


def pretty(text: str) -> str:
    """JSON indented when the text parses as JSON; anything else as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def _field_text(value: Any) -> str:
    """A list of plain values one per line; anything else as text or compact JSON."""
    if isinstance(value, list) and value and all(isinstance(v, str | int | float) for v in value):
        return "\n".join(f"• {v}" for v in value)
    return as_text(value)


def _selectable(text: str = "", *, mono: bool = False, caption: str = "") -> QLabel:
    label = ValueLabel(caption, text) if caption else QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if mono:
        label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return label


def _code_view(name: str) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    view.setAccessibleName(name)
    view.setMinimumHeight(90)
    return view


SELECT_A_JOB = "Select a job to see its details."
EMPTY_LIST = (
    "<p><b>No jobs watched yet.</b></p>"
    "<p>Paste or type job ids in the field above and press Enter (Ctrl+L takes you there): one "
    "or many, a column from a spreadsheet or lines of a log.</p>"
    "<p>Or drop a text or CSV file on the window, or use File › Add ids from file (Ctrl+O).</p>"
    "<p>To start a job, File › New job (Ctrl+N), or drop the file to convert on the window.</p>"
    "<p>Each job is then checked on its own schedule; F5 checks the selected jobs now, "
    "Ctrl+Shift+P pauses polling, and Ctrl+, opens Settings for the API key.</p>"
)


class JobDetails(QScrollArea):
    """Shows the job given to ``show_job``; ``download_requested(job_id, url)`` for the window."""

    download_requested = Signal(str, str)
    report_copied = Signal(str)
    message = Signal(str)  # a line for the status bar (opening a saved file failed)

    def __init__(
        self,
        *,
        base_url: Callable[[], str],
        icon_for: Callable[[JobState], QIcon] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._base_url = base_url
        self._icon_for = icon_for
        self._job: WatchedJob | None = None
        self._history: list[HistoryEntry] = []
        # The file saved for a job earlier (this session or before), if still there: set by the app.
        self.saved_file: Callable[[str], SavedFile | None] = lambda _job_id: None
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.shower = FileShower(self, open_url=lambda url: self.open_url(url))
        self.shower.failed.connect(self.message)
        self._saved: SavedFile | None = None
        self.setWidgetResizable(True)
        self.setAccessibleName("Job details")
        # Tab goes to its controls (the area scrolls to each); the area itself is no stop.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = QWidget()
        self.setWidget(body)
        layout = QVBoxLayout(body)

        self.placeholder = QLabel(SELECT_A_JOB)
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setTextFormat(Qt.TextFormat.RichText)
        self.placeholder.setAccessibleName("Job details")
        layout.addWidget(self.placeholder)

        self.header = QWidget()
        head = QFormLayout(self.header)
        head.setContentsMargins(0, 0, 0, 0)
        self.job_id = _selectable(mono=True, caption="Job ID")
        self.label = _selectable()
        status_row = QHBoxLayout()
        self.status_icon = QLabel()
        self.status = _selectable(caption="Status")
        status_row.addWidget(self.status_icon)
        status_row.addWidget(self.status, 1)
        self.created = _selectable()
        self.updated = _selectable()
        self.checked = _selectable()
        head.addRow("Job ID:", self.job_id)
        head.addRow("Label:", self.label)
        head.addRow("Status:", status_row)
        head.addRow("Created:", self.created)
        head.addRow("Updated:", self.updated)
        head.addRow("Last checked:", self.checked)
        layout.addWidget(self.header)

        self.report_button = QPushButton("&Copy support report")
        self.report_button.setAccessibleName("Copy support report")
        self.report_button.setToolTip(
            "Copy everything support needs about this job (never the API key) (Ctrl+Shift+C)"
        )
        self.report_button.clicked.connect(self.copy_report)

        self.include_excerpt = QCheckBox("Include the input e&xcerpt")
        self.include_excerpt.setToolTip(
            "Add the lines of the input around the failure to the report (off by default: an "
            "input may hold private data)"
        )
        self.include_excerpt.hide()
        report_row = QHBoxLayout()
        report_row.addWidget(self.report_button)
        report_row.addWidget(self.include_excerpt)
        report_row.addStretch(1)
        layout.addLayout(report_row)

        self.failure = FailureSection()
        self.failure_form = self.failure.form
        self.failure.input.message.connect(self.message)
        self.failure.input.look_changed.connect(self._offer_excerpt)
        layout.addWidget(self.failure)
        self.failure.take_drops_on(self.viewport())

        self.result = QGroupBox("Result")
        result_layout = QVBoxLayout(self.result)
        self.result_form = QFormLayout()
        result_layout.addLayout(self.result_form)
        self.preview = _code_view("Result preview")
        result_layout.addWidget(self.preview)
        self.download_button = QPushButton("&Download result file")
        self.download_button.setAccessibleName("Download result file")
        self.download_button.setToolTip("Save the result file to the download folder (Ctrl+D)")
        self.download_button.clicked.connect(self.request_download)
        self.open_button = QPushButton("&Open file")
        self.open_button.setToolTip("Open the saved result file with its usual application")
        self.open_button.clicked.connect(self.open_saved_file)
        self.folder_button = QPushButton("Show in &folder")
        self.folder_button.setToolTip("Show the saved result file in its folder")
        self.folder_button.clicked.connect(self.show_saved_folder)
        buttons = QHBoxLayout()
        for button in (self.download_button, self.open_button, self.folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        result_layout.addLayout(buttons)
        layout.addWidget(self.result)

        self.history_box = QGroupBox("Status history")
        history_layout = QVBoxLayout(self.history_box)
        self.timeline = _selectable(caption="Status history")
        self.timeline.setTextFormat(Qt.TextFormat.RichText)
        history_layout.addWidget(self.timeline)
        layout.addWidget(self.history_box)

        self.raw_toggle = QToolButton()
        self.raw_toggle.setText("Raw last response")
        self.raw_toggle.setCheckable(True)
        self.raw_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.raw_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.raw_toggle.setAutoRaise(True)
        self.raw_toggle.setAccessibleName("Show the raw last response")
        self.raw_toggle.toggled.connect(self._toggle_raw)
        self.raw = _code_view("Raw last response")
        self.raw.hide()
        layout.addWidget(self.raw_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.raw)
        layout.addStretch(1)
        self.show_job(None, [])

    @property
    def job(self) -> WatchedJob | None:
        return self._job

    def set_empty_list(self, empty: bool) -> None:
        """With nothing to select, the placeholder says how to add jobs instead."""
        self.placeholder.setText(EMPTY_LIST if empty else SELECT_A_JOB)
        self.placeholder.setAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
            if empty
            else Qt.AlignmentFlag.AlignCenter
        )

    def show_job(self, job: WatchedJob | None, history: Sequence[HistoryEntry]) -> None:
        self._job, self._history = job, list(history)
        empty = job is None
        self.placeholder.setVisible(empty)
        for part in (self.header, self.report_button, self.history_box, self.raw_toggle):
            part.setVisible(not empty)
        if job is None:
            self.include_excerpt.hide()
            self.failure.hide()
            self.result.hide()
            self.raw.hide()
            return
        self.raw.setVisible(self.raw_toggle.isChecked())
        if self.job_id.text() != job.job_id:
            self.report_button.setText("&Copy support report")
            self.include_excerpt.setChecked(False)  # a choice for one report, never carried over
        self.job_id.setText(job.job_id)
        self.label.setText(job.label or "(none; double-click the label cell to set one)")
        self.status.setText(status_text(job))
        if self._icon_for is not None:
            self.status_icon.setPixmap(self._icon_for(job.state).pixmap(16, 16))
        self.created.setText(absolute(job.created_at))
        self.updated.setText(absolute(job.updated_at))
        self.checked.setText(absolute(job.last_checked) if job.last_checked else "not yet")
        self._show_timeline()
        self._show_failure(job)
        self._show_result(job)
        self._show_raw(job)

    def _show_timeline(self) -> None:
        rows = "".join(
            f"<tr><td title='{html.escape(absolute(e.at))}'>{short_local(e.at)}</td>"
            f"<td>&nbsp;→&nbsp;</td><td>{html.escape(e.state.label)}</td></tr>"
            for e in self._history
        )
        self.timeline.setText(f"<table>{rows}</table>" if rows else "No changes recorded yet.")

    def _clear_form(self, form: QFormLayout) -> None:
        while form.rowCount():
            form.removeRow(0)

    def _show_failure(self, job: WatchedJob) -> None:
        self.failure.show_job(job)
        self._offer_excerpt()

    def _offer_excerpt(self) -> None:
        self.include_excerpt.setVisible(self._excerpt_text() is not None)

    def _excerpt_text(self) -> str | None:
        return self.failure.report_excerpt()

    def _show_result(self, job: WatchedJob) -> None:
        self._clear_form(self.result_form)
        result = _result_of(job)
        if result is None:
            self.result.hide()
            self.download_button.setEnabled(False)  # hidden is not disabled: Ctrl+D asks it
            return
        # the status is the header's ("Succeeded"); the file and preview have their own rows
        fields = [("request_id", result.request_id)] if result.request_id is not None else []
        for key, value in fields + list(result.extra.items()):
            self.result_form.addRow(f"{field_name(str(key))}:", _selectable(_field_text(value)))
        file_url = result.file
        if file_url:
            name = unquote(urlsplit(file_url).path.rsplit("/", 1)[-1]) or file_url
            link = _selectable(name, mono=True)
            link.setToolTip(file_url)  # the whole link (also in the raw response)
            self.result_form.addRow("File:", link)
        shown = pretty(result.preview) if result.preview else "(no preview)"
        self.preview.setPlainText(shown)
        # As tall as the preview (3 to 14 lines): a one-line answer gets no empty box under it.
        lines = min(max(shown.count("\n") + 1, 3), 14)
        view = self.preview
        margins = view.contentsMargins().top() + view.contentsMargins().bottom()
        chrome = margins + 2 * int(view.document().documentMargin()) + 6
        view.setFixedHeight(view.fontMetrics().lineSpacing() * lines + chrome)
        self.download_button.setEnabled(bool(file_url))
        self._show_saved(job)
        self.result.show()

    def _show_saved(self, job: WatchedJob) -> None:
        """Where the result file was saved, if it still is: with Open and Show in folder."""
        self._saved = saved = self.saved_file(job.job_id)
        if saved is not None:
            self.result_form.addRow("Saved as:", _selectable(str(saved.path)))
        self.open_button.setVisible(saved is not None)
        self.folder_button.setVisible(saved is not None)
        again = saved is not None
        self.download_button.setText("&Download again" if again else "&Download result file")
        self.download_button.setToolTip(
            "Save another copy (a new name: the saved file is never overwritten) (Ctrl+D)"
            if again
            else "Save the result file to the download folder (Ctrl+D)"
        )

    def _show_raw(self, job: WatchedJob) -> None:
        parts: list[str] = []
        if job.http_status is not None:
            parts.append(f"HTTP {job.http_status}")
        if job.snapshot is not None:
            parts.append(json.dumps(dict(job.snapshot.raw), indent=2, ensure_ascii=False))
        if job.error_body is not None:
            parts.append("Last error answer:\n" + json.dumps(job.error_body, indent=2))
        self.raw.setPlainText("\n\n".join(parts) or "No answer yet.")

    def _toggle_raw(self, on: bool) -> None:
        self.raw_toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.raw.setVisible(on and self._job is not None)

    # -- actions ---------------------------------------------------------------------------

    def support_report(self) -> str | None:
        job = self._job
        if job is None:
            return None
        return build_support_report(
            job_id=job.job_id,
            state=job.state,
            label=job.label,
            snapshot_raw=job.snapshot.raw if job.snapshot is not None else None,
            last_error_body=job.error_body,
            last_http_status=job.http_status,
            history=[(e.state.value, e.at) for e in self._history],
            app_version=__version__,
            base_url=self._base_url(),
            last_checked=job.last_checked,
            created_at=job.created_at,
            updated_at=job.updated_at,
            input_excerpt=self._excerpt_text() if self.include_excerpt.isChecked() else None,
        )

    def copy_report(self) -> None:
        report = self.support_report()
        if report is None:
            return
        QGuiApplication.clipboard().setText(report)
        job_id = self._job.job_id if self._job is not None else ""
        self.report_copied.emit(job_id)
        self.report_button.setText("Copied ✔")
        self.report_button.setAccessibleDescription(f"Support report for {job_id} copied")

    def refresh(self) -> None:
        """Show the current job again (after its saved file changed)."""
        self.show_job(self._job, self._history)

    def open_saved_file(self) -> None:
        if self._saved is not None:
            self.shower.open_file(self._saved.path)

    def show_saved_folder(self) -> None:
        if self._saved is not None:
            self.shower.show_in_folder(self._saved.path)  # selected in the file manager

    def request_download(self) -> None:
        job = self._job
        result = _result_of(job) if job is not None else None
        if job is not None and result is not None and result.file:
            self.download_requested.emit(job.job_id, result.file)


def _result_of(job: WatchedJob) -> JobResult | None:
    """A succeeded job's result (None for any other job)."""
    if job.state is not JobState.SUCCESS or job.snapshot is None:
        return None
    return job.snapshot.result
