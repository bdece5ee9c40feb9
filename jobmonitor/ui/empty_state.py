"""What the job table says when it shows no row: how to add jobs (and set the key) when the list
is empty, or which filter hides every job, with a button that clears it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QPushButton, QVBoxLayout, QWidget

from jobmonitor.ui.a11y import ValueLabel
from jobmonitor.ui.jobs_proxy import JobsFilterProxy

EMPTY_LIST = (
    "<p><b>No jobs watched yet.</b></p>"
    "<p>Paste job ids or a log excerpt into the field above and press Enter, drop a text or CSV "
    "file on the window, or use File › Add ids from file (Ctrl+O).</p>"
)
NO_KEY = "<p>Then set your API key in Settings (Ctrl+,) so the jobs can be checked.</p>"


def no_match_text(category_label: str | None, search: str) -> str:
    """``No job matches "abc"``, ``No failed job matches "abc"``, ``No failed jobs``."""
    kind = f"{category_label.lower()} " if category_label else ""
    if search:
        return f"No {kind}job matches “{search}”."
    return f"No {kind}jobs." if kind else "No jobs."


class TableEmptyState(QWidget):
    """Laid over the table's viewport while the table shows no row."""

    add_requested = Signal()
    settings_requested = Signal()
    clear_requested = Signal()  # clear the search and show every job

    def __init__(self, table: QAbstractItemView, proxy: JobsFilterProxy) -> None:
        super().__init__(table.viewport())
        self._table = table
        self._proxy = proxy
        self._key_missing = False
        self.text = ValueLabel("Job list")
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.RichText)
        self.text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.action = QPushButton(self)
        self.action.clicked.connect(self._act)
        self.settings_button = QPushButton("Open &Settings", self)
        self.settings_button.setAccessibleName("Open Settings to set the API key")
        self.settings_button.clicked.connect(self.settings_requested)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.text)
        layout.addWidget(self.action, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(2)
        for signal in (
            proxy.rowsInserted,
            proxy.rowsRemoved,
            proxy.modelReset,
            proxy.layoutChanged,
        ):
            signal.connect(self.refresh)
        table.viewport().installEventFilter(self)
        self.refresh()

    @property
    def filtered(self) -> bool:
        """Jobs are there, but the filter or search hides them all."""
        return self._proxy.sourceModel().rowCount() > 0

    def set_key_missing(self, missing: bool) -> None:
        if missing != self._key_missing:
            self._key_missing = missing
            self.refresh()

    def refresh(self) -> None:
        empty = self._proxy.rowCount() == 0
        self.setVisible(empty)
        if not empty:
            return
        if self.filtered:
            category = self._proxy.category
            label = category.label if category is not None else None
            search = self._proxy.search_text
            self.text.setText(f"<p><b>{_escape(no_match_text(label, search))}</b></p>")
            self.action.setText("&Clear the search" if search else "Show &all jobs")
            self.action.setAccessibleName(
                "Clear the search and show every job" if search else "Show every job"
            )
            self.settings_button.hide()
        else:
            self.text.setText(EMPTY_LIST + (NO_KEY if self._key_missing else ""))
            self.action.setText("&Add job ids…")
            self.action.setAccessibleName("Go to the field for adding job ids")
            self.settings_button.setVisible(self._key_missing)
        self._fit()

    def _act(self) -> None:
        if self.filtered:
            self.clear_requested.emit()
        else:
            self.add_requested.emit()

    def _fit(self) -> None:
        self.setGeometry(self._table.viewport().rect())
        self.raise_()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self._fit()
        return False


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
