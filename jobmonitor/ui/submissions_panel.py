"""The submissions panel: one row per input being submitted, with its upload progress and Cancel.

Fed ``SubmitProgress`` values by the app (``show``); a row stays after its job is accepted, with
the job id and a button that selects the job in the watch list, until "Clear finished".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

_BAR_STEPS = 1000


class SubmitStage(Enum):
    PREPARING = "Preparing"  # reading the file's size and hash, asking for an upload
    UPLOADING = "Uploading"
    SUBMITTING = "Submitting"
    ACCEPTED = "Submitted"
    FAILED = "Failed"
    CANCELLED = "Cancelled"

    @property
    def final(self) -> bool:
        return self in (SubmitStage.ACCEPTED, SubmitStage.FAILED, SubmitStage.CANCELLED)


@dataclass(frozen=True, slots=True)
class SubmitProgress:
    """Where one input's submission is: ``key`` names the row (one per input and attempt)."""

    key: str
    name: str
    tool: str
    stage: SubmitStage
    sent: int = 0
    total: int | None = None
    job_id: str | None = None
    message: str = ""


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def detail_text(p: SubmitProgress) -> str:
    if p.stage is SubmitStage.UPLOADING:
        total = f" of {human_bytes(p.total)}" if p.total is not None else ""
        return f"{human_bytes(p.sent)}{total} uploaded"
    if p.stage is SubmitStage.ACCEPTED:
        return f"Job {p.job_id}" if p.job_id else "Accepted"
    return p.message


class SubmissionRow(QFrame):
    def __init__(self, progress: SubmitProgress, panel: SubmissionsPanel) -> None:
        super().__init__()
        self.key = progress.key
        self.progress = progress
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(f"<b>{_esc(progress.name)}</b> → {_esc(progress.tool)}")
        self.state = QLabel()
        self.bar = QProgressBar()
        self.bar.setRange(0, _BAR_STEPS)
        self.bar.setAccessibleName(f"Upload of {progress.name}")
        self.detail = QLabel()
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.cancel = QPushButton("Cancel")
        self.cancel.setAccessibleName(f"Cancel the submission of {progress.name}")
        self.cancel.clicked.connect(lambda: panel.cancel_requested.emit(self.key))
        self.show_job = QPushButton("Show job")
        self.show_job.clicked.connect(
            lambda: panel.show_job_requested.emit(self.progress.job_id or "")
        )
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.state)
        bottom = QHBoxLayout()
        bottom.addWidget(self.detail, 1)
        bottom.addWidget(self.cancel)
        bottom.addWidget(self.show_job)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addLayout(bottom)
        self.update_from(progress)

    def update_from(self, p: SubmitProgress) -> None:
        self.progress = p
        self.state.setText(p.stage.value)
        if p.stage is SubmitStage.UPLOADING and p.total:
            self.bar.setRange(0, _BAR_STEPS)
            self.bar.setValue(min(_BAR_STEPS, p.sent * _BAR_STEPS // max(p.total, 1)))
        elif p.stage in (SubmitStage.PREPARING, SubmitStage.SUBMITTING):
            self.bar.setRange(0, 0)  # busy: no size to measure against
        else:
            self.bar.setRange(0, _BAR_STEPS)
            self.bar.setValue(_BAR_STEPS if p.stage is SubmitStage.ACCEPTED else 0)
        self.bar.setVisible(not p.stage.final or p.stage is SubmitStage.ACCEPTED)
        self.detail.setText(detail_text(p))
        self.cancel.setVisible(not p.stage.final)
        self.show_job.setVisible(p.stage is SubmitStage.ACCEPTED and bool(p.job_id))
        self.setAccessibleName(f"{p.name} to {p.tool}: {p.stage.value}. {detail_text(p)}")


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class SubmissionsPanel(QWidget):
    """Rows by key; ``cancel_requested(key)``, ``show_job_requested(job_id)``."""

    cancel_requested = Signal(str)
    show_job_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, SubmissionRow] = {}
        self.setAccessibleName("Submissions")
        self.empty = QLabel("Nothing submitted yet this session. File › New job (Ctrl+N).")
        self.empty.setWordWrap(True)
        body = QWidget()
        self._list = QVBoxLayout(body)
        self._list.addWidget(self.empty)
        self._list.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        self.clear_button = QPushButton("Clear finished")
        self.clear_button.clicked.connect(self.clear_finished)
        self.cancel_all = QPushButton("Cancel all")
        self.cancel_all.clicked.connect(self._cancel_all)
        buttons = QHBoxLayout()
        buttons.addWidget(self.cancel_all)
        buttons.addWidget(self.clear_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

    def show_progress(self, progress: SubmitProgress) -> None:
        row = self.rows.get(progress.key)
        if row is None:
            row = self.rows[progress.key] = SubmissionRow(progress, self)
            self._list.insertWidget(self._list.count() - 1, row)
        else:
            row.update_from(progress)
        self.empty.hide()

    def clear_finished(self) -> None:
        for key, row in list(self.rows.items()):
            if row.progress.stage.final:
                del self.rows[key]
                row.setParent(None)
                row.deleteLater()
        self.empty.setVisible(not self.rows)

    def _cancel_all(self) -> None:
        for key, row in list(self.rows.items()):
            if not row.progress.stage.final:
                self.cancel_requested.emit(key)
