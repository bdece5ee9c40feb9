"""The details panel for one job: history timeline, failure, result preview, raw answer, support report."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QPushButton,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from jobmonitor import __version__
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import HistoryEntry, SavedFile, WatchedJob
from jobmonitor.core.watchlist.report import build_support_report
from jobmonitor.ui.detail_parts import code_view, selectable
from jobmonitor.ui.failure_section import FailureSection
from jobmonitor.ui.job_text import status_text
from jobmonitor.ui.result_section import ResultSection, result_of
from jobmonitor.ui.reveal import FileShower
from jobmonitor.ui.submission_section import SubmissionSection
from jobmonitor.ui.timefmt import absolute, short_local

SELECT_A_JOB = "Select a job to see its details."
EMPTY_LIST = (
    "<p><b>No jobs watched yet.</b></p>"
    "<p>Paste or type job ids in the field above and press Enter (Ctrl+N takes you there): one "
    "or many, a column from a spreadsheet or lines of a log.</p>"
    "<p>Or drop a text or CSV file on the window, or use File › Add ids from file (Ctrl+O).</p>"
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
        self._refit_timer = QTimer(self, singleShot=True, interval=0)
        self._refit_timer.timeout.connect(self._refit)
        # The file saved for a job earlier (this session or before), if still there: set by the app.
        self.saved_file: Callable[[str], SavedFile | None] = lambda _job_id: None
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.shower = FileShower(self, open_url=lambda url: self.open_url(url))
        self.shower.failed.connect(self.message)
        self.setWidgetResizable(True)
        self.setAccessibleName("Job details")
        # Tab goes to its controls (the area scrolls to each); the area itself is no stop.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        body = self._body = QWidget()
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
        self.job_id = selectable(mono=True, caption="Job ID")
        self.label = selectable()
        status_row = QHBoxLayout()
        self.status_icon = QLabel()
        self.status = selectable(caption="Status")
        status_row.addWidget(self.status_icon)
        status_row.addWidget(self.status, 1)
        self.created = selectable()
        self.updated = selectable()
        self.checked = selectable()
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
        self.submission = SubmissionSection()
        layout.addWidget(self.submission)

        self.result = ResultSection(
            saved_file=lambda job_id: self.saved_file(job_id), shower=self.shower
        )
        self.result.download_button.clicked.connect(self.request_download)
        # The section's parts, by the names the window and the tests have always used.
        self.result_form = self.result.form
        self.preview = self.result.preview
        self.download_button = self.result.download_button
        self.open_button = self.result.open_button
        self.folder_button = self.result.folder_button
        layout.addWidget(self.result)

        self.history_box = QGroupBox("Status history")
        history_layout = QVBoxLayout(self.history_box)
        self.timeline = selectable(caption="Status history")
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
        self.raw = code_view("Raw last response")
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
            self.submission.hide()
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
        self.result.show_job(job)
        self.submission.show_job(job)
        self._show_raw(job)
        self._refit_timer.start()  # (again): after the labels this call added have shown

    def _refit(self) -> None:
        """Size the body for what it shows now. A row added to a shown job (Saved as, after a
        download) shows its label a turn of the loop later, and the scroll area does not hear
        of the height that needs: it was squeezed to one line and half cut off until the window
        was resized. Run after those labels show, once per turn of the loop however many
        answers came."""
        for layout in self._body.findChildren(QLayout):  # one kept a stale height for width
            layout.invalidate()
        self.setWidgetResizable(True)  # recomputes the body's size, with its height for width

    def _show_timeline(self) -> None:
        rows = "".join(
            f"<tr><td title='{html.escape(absolute(e.at))}'>{short_local(e.at)}</td>"
            f"<td>&nbsp;→&nbsp;</td><td>{html.escape(e.state.label)}</td></tr>"
            for e in self._history
        )
        self.timeline.setText(f"<table>{rows}</table>" if rows else "No changes recorded yet.")

    def _show_failure(self, job: WatchedJob) -> None:
        self.failure.show_job(job)
        self._offer_excerpt()

    def _offer_excerpt(self) -> None:
        self.include_excerpt.setVisible(self._excerpt_text() is not None)

    def _excerpt_text(self) -> str | None:
        return self.failure.report_excerpt()

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
        self.result.open_saved_file()

    def show_saved_folder(self) -> None:
        self.result.show_saved_folder()

    def request_download(self) -> None:
        job = self._job
        result = result_of(job) if job is not None else None
        if job is not None and result is not None and result.file:
            self.download_requested.emit(job.job_id, result.file)
