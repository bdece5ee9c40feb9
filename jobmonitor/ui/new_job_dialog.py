"""File › New job: choose files or paste URLs, pick a tool (narrowed to the files' extensions),
set its options, submit. Each input becomes one job.

The dialog only gathers the choice (``NewJobRequest``); the app submits it and shows progress.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.ui.tool_picker import ToolLike, ToolPicker

PATH_ROLE = Qt.ItemDataRole.UserRole + 1


@dataclass(frozen=True, slots=True)
class NewJobRequest:
    """What to submit: files and URLs (one job each), the tool's slug and the options set."""

    files: tuple[Path, ...]
    urls: tuple[str, ...]
    tool: str
    options: dict[str, str] = field(default_factory=dict)


def extension_of(name: str) -> str:
    """``data.JSON`` -> ``json``; a URL's path is read the same way (query ignored)."""
    path = urlsplit(name).path if "://" in name else name
    stem = path.rsplit("/", 1)[-1]
    return stem.rsplit(".", 1)[-1].lower() if "." in stem else ""


def split_urls(text: str) -> tuple[list[str], list[str]]:
    """(http(s) URLs, everything else) from pasted text, one per whitespace-separated word."""
    good: list[str] = []
    bad: list[str] = []
    for word in text.split():
        parts = urlsplit(word)
        (good if parts.scheme in ("http", "https") and parts.netloc else bad).append(word)
    return good, bad


def pick_files(parent: QWidget, start: Path | None = None) -> list[str]:
    names, _filter = QFileDialog.getOpenFileNames(
        parent, "Choose the files to submit", str(start) if start else ""
    )
    return names


class NewJobDialog(QDialog):
    """``request()`` after ``exec()`` returned Accepted."""

    def __init__(
        self,
        tools: Sequence[ToolLike],
        *,
        files: Iterable[Path] = (),
        start_folder: Path | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New job")
        self.start_folder = start_folder  # where "Add files…" opens (demo mode: the samples)
        self.choose_files: Callable[[QWidget], list[str]] = lambda w: pick_files(
            w, self.start_folder
        )
        layout = QVBoxLayout(self)

        inputs = QGroupBox("&Inputs: each one becomes a job")
        box = QVBoxLayout(inputs)
        self.inputs = QListWidget()
        self.inputs.setAccessibleName("Inputs to submit")
        self.inputs.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        box.addWidget(self.inputs)
        row = QHBoxLayout()
        self.add_files = QPushButton("Add &files…")
        self.add_files.clicked.connect(self._add_files)
        self.url = QLineEdit()
        self.url.setPlaceholderText("or paste URLs (https://…), then Enter")
        self.url.setAccessibleName("URLs to submit")
        self.url.returnPressed.connect(self._add_urls)
        self.remove = QPushButton("&Remove")
        self.remove.clicked.connect(self._remove_selected)
        for part in (self.add_files, self.url, self.remove):
            row.addWidget(part)
        box.addLayout(row)
        self.url_problem = QLabel()
        self.url_problem.setWordWrap(True)
        self.url_problem.hide()
        box.addWidget(self.url_problem)
        layout.addWidget(inputs)

        tool_box = QGroupBox("&Tool and options")
        tool_layout = QVBoxLayout(tool_box)
        self.picker = ToolPicker(tools)
        tool_layout.addWidget(self.picker)
        layout.addWidget(tool_box, 1)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.submit_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.submit_button.setText("&Submit")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.why_not = QLabel()
        self.why_not.setWordWrap(True)
        layout.addWidget(self.why_not)
        layout.addWidget(self.buttons)
        self.picker.tool_changed.connect(lambda _slug: self._check())
        self.picker.options_changed.connect(self._check)
        self.add_paths(files)
        self._update()
        self.resize(620, 640)

    # -- inputs ------------------------------------------------------------------------------

    def add_paths(self, paths: Iterable[Path]) -> None:
        for path in paths:
            if str(path) not in self._entries():
                item = QListWidgetItem(f"{path.name}    {path.parent}")
                item.setData(PATH_ROLE, str(path))
                item.setToolTip(str(path))
                self.inputs.addItem(item)
        self._update()

    def add_url_text(self, text: str) -> None:
        good, bad = split_urls(text)
        for url in good:
            if url not in self._entries():
                item = QListWidgetItem(url)
                item.setData(PATH_ROLE, url)
                self.inputs.addItem(item)
        self.url_problem.setText(
            f"Not an http(s) URL: {', '.join(bad)}. A file on this computer: Add files…"
            if bad
            else ""
        )
        self.url_problem.setVisible(bool(bad))
        self._update()

    def _add_files(self) -> None:
        self.add_paths(Path(name) for name in self.choose_files(self))

    def _add_urls(self) -> None:
        self.add_url_text(self.url.text())
        self.url.clear()

    def _remove_selected(self) -> None:
        for item in self.inputs.selectedItems():
            self.inputs.takeItem(self.inputs.row(item))
        self._update()

    def _entries(self) -> list[str]:
        return [self.inputs.item(i).data(PATH_ROLE) for i in range(self.inputs.count())]

    # -- state -------------------------------------------------------------------------------

    def _update(self) -> None:
        """The inputs changed: narrow the tools to their extensions, then check."""
        self.picker.set_extensions(extension_of(e) for e in self._entries())
        self._check()

    def _check(self) -> None:
        entries = self._entries()
        slug = self.picker.slug()
        missing = self.picker.missing()
        if not entries:
            reason = "Add a file or a URL to submit."
        elif slug is None:
            reason = "Choose a tool."
        elif missing:
            reason = f"Choose a value for {', '.join(missing)}."
        else:
            n = len(entries)
            reason = f"{n} job{'s' if n != 1 else ''} will be submitted to {slug}."
        self.why_not.setText(reason)
        self.submit_button.setEnabled(bool(entries) and slug is not None and not missing)

    def request(self) -> NewJobRequest | None:
        slug = self.picker.slug()
        entries = self._entries()
        if slug is None or not entries:
            return None
        urls = tuple(e for e in entries if "://" in e)
        files = tuple(Path(e) for e in entries if "://" not in e)
        return NewJobRequest(files, urls, slug, self.picker.options())
