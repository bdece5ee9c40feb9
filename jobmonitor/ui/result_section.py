"""The details panel's result box: the result's fields, its file, the preview pretty-printed,
Download (again), and, once saved, where it was saved with Open file and Show in folder."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from PySide6.QtWidgets import QFormLayout, QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout

from jobmonitor.api.models import JobResult
from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.failure import as_text
from jobmonitor.core.watchlist.records import SavedFile, WatchedJob
from jobmonitor.ui.detail_parts import clear_form, code_view, pretty, selectable
from jobmonitor.ui.job_text import field_name
from jobmonitor.ui.reveal import FileShower


def _field_text(value: Any) -> str:
    """A list of plain values one per line; anything else as text or compact JSON."""
    if isinstance(value, list) and value and all(isinstance(v, str | int | float) for v in value):
        return "\n".join(f"• {v}" for v in value)
    return as_text(value)


def result_of(job: WatchedJob) -> JobResult | None:
    """A succeeded job's result (None for any other job)."""
    if job.state is not JobState.SUCCESS or job.snapshot is None:
        return None
    return job.snapshot.result


class ResultSection(QGroupBox):
    """``show_job`` fills it; the panel connects ``download_button`` to its download request."""

    def __init__(
        self, *, saved_file: Callable[[str], SavedFile | None], shower: FileShower
    ) -> None:
        super().__init__("Result")
        self._saved_file = saved_file
        self._shower = shower
        self._saved: SavedFile | None = None
        layout = QVBoxLayout(self)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.preview = code_view("Result preview")
        layout.addWidget(self.preview)
        self.download_button = QPushButton("&Download result file")
        self.download_button.setAccessibleName("Download result file")
        self.download_button.setToolTip("Save the result file to the download folder (Ctrl+D)")
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
        layout.addLayout(buttons)

    def show_job(self, job: WatchedJob) -> None:
        clear_form(self.form)
        result = result_of(job)
        if result is None:
            self.hide()
            self.download_button.setEnabled(False)  # hidden is not disabled: Ctrl+D asks it
            return
        # the status is the header's ("Succeeded"); the file and preview have their own rows
        fields = [("request_id", result.request_id)] if result.request_id is not None else []
        for key, value in fields + list(result.extra.items()):
            self.form.addRow(f"{field_name(str(key))}:", selectable(_field_text(value)))
        file_url = result.file
        if file_url:
            name = unquote(urlsplit(file_url).path.rsplit("/", 1)[-1]) or file_url
            link = selectable(name, mono=True)
            link.setToolTip(file_url)  # the whole link (also in the raw response)
            self.form.addRow("File:", link)
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
        self.show()

    def _show_saved(self, job: WatchedJob) -> None:
        """Where the result file was saved, if it still is: with Open and Show in folder."""
        self._saved = saved = self._saved_file(job.job_id)
        if saved is not None:
            self.form.addRow("Saved as:", selectable(str(saved.path)))
        self.open_button.setVisible(saved is not None)
        self.folder_button.setVisible(saved is not None)
        again = saved is not None
        self.download_button.setText("&Download again" if again else "&Download result file")
        self.download_button.setToolTip(
            "Save another copy (a new name: the saved file is never overwritten) (Ctrl+D)"
            if again
            else "Save the result file to the download folder (Ctrl+D)"
        )

    def open_saved_file(self) -> None:
        if self._saved is not None:
            self._shower.open_file(self._saved.path)

    def show_saved_folder(self) -> None:
        if self._saved is not None:
            self._shower.show_in_folder(self._saved.path)  # selected in the file manager
