"""The details panel's "Submitted" box: what a job was given (input, tool, options, when), the
job it was submitted again from or as (both histories a click away), and Submit again.

Shown for a job with an input record (submitted by the app, or an input attached); Submit again
only for a job the app submitted from a file, since it re-uploads that file with the same tool
and options. A result link that expired says so here and points at Submit again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.core.watchlist.job_inputs import JobInput
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.ui.detail_parts import clear_form, selectable
from jobmonitor.ui.timefmt import absolute

EXPIRED = "The result link has expired: the provider keeps result files only for a while."
EXPIRED_AGAIN = EXPIRED + " Submit again to get a new result."


class SubmissionSection(QGroupBox):
    """``submit_again_requested(job_id)``, ``show_job_requested(job_id)``."""

    submit_again_requested = Signal(str)
    show_job_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Submitted", parent)
        # Set by the app: the input record of a job, the jobs submitted again from one, and
        # whether a job's result link was found expired.
        self.job_input: Callable[[str], JobInput | None] = lambda _job_id: None
        self.resubmissions: Callable[[str], list[str]] = lambda _job_id: []
        self.link_expired: Callable[[str], bool] = lambda _job_id: False
        self._job_id: str | None = None
        layout = QVBoxLayout(self)
        self.expired = QLabel()
        self.expired.setWordWrap(True)
        self.expired.hide()
        layout.addWidget(self.expired)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.links = QVBoxLayout()
        layout.addLayout(self.links)
        self.again_button = QPushButton("Submit &again")
        self.again_button.setToolTip(
            "Upload the input file again (after fixing it) and submit it with the same tool and "
            "options: a new job, linked to this one"
        )
        self.again_button.clicked.connect(self._again)
        layout.addWidget(self.again_button, 0, Qt.AlignmentFlag.AlignLeft)

    def show_job(self, job: WatchedJob | None) -> None:
        record = self.job_input(job.job_id) if job is not None else None
        self._job_id = job.job_id if job is not None else None
        clear_form(self.form)
        while self.links.count():
            item = self.links.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        if job is None or record is None:
            self.hide()
            return
        self.setTitle("Input (attached)" if record.attached else "Submitted")
        where = record.url or (str(record.path) if record.path else "—")
        self.form.addRow("Input:", selectable(where, mono=True))
        if record.tool:
            self.form.addRow("Tool:", selectable(record.tool, mono=True))
        if record.options:
            text = ", ".join(f"{k}: {v}" for k, v in sorted(record.options.items()))
            self.form.addRow("Options:", selectable(text))
        if record.submitted_at:
            self.form.addRow("Submitted at:", selectable(absolute(record.submitted_at)))
        if record.previous_job:
            self._link("Submitted again from", record.previous_job)
        for later in self.resubmissions(job.job_id):
            self._link("Submitted again as", later)
        can_again = record.submitted_here and (record.path is not None or bool(record.url))
        self.again_button.setVisible(can_again)
        expired = self.link_expired(job.job_id)
        self.expired.setText(EXPIRED_AGAIN if can_again else EXPIRED)
        self.expired.setVisible(expired)
        self.show()

    def _link(self, what: str, job_id: str) -> None:
        row = QWidget()
        line = QHBoxLayout(row)
        line.setContentsMargins(0, 0, 0, 0)
        line.addWidget(QLabel(f"{what}:"))
        line.addWidget(selectable(job_id, mono=True), 1)
        button = QPushButton("Show")
        button.setAccessibleName(f"Show job {job_id}")
        button.clicked.connect(lambda: self.show_job_requested.emit(job_id))
        line.addWidget(button)
        self.links.addWidget(row)

    def _again(self) -> None:
        if self._job_id is not None:
            self.submit_again_requested.emit(self._job_id)
