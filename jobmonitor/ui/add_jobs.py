"""Adding job ids: a field that takes one or many (pasted lists, logs, CSV), files, and drops."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QMimeData, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from jobmonitor.api.ids import MAX_TEXT_CHARS, ParsedIds, RejectedId
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui.a11y import Announcer, ValueLabel
from jobmonitor.ui.add_stream import AddStream
from jobmonitor.ui.paste_text import (
    MAX_IMPORT_BYTES,
    Pasted,
    is_free_text,
    parse_files,
    parse_pasted,
    read_id_files,
)

__all__ = ["MAX_IMPORT_BYTES", "AddJobsBar", "AddReport", "JobAdder", "is_free_text"]

BACKGROUND_CHARS = 64 * 1024  # a paste longer than this (about 1,700 ids) is parsed off the loop
# A paste this long goes straight to the list instead of into the two-line field: laying out
# megabytes in a QPlainTextEdit would hold the window by itself.
FIELD_PASTE_CHARS = 256 * 1024
_SHOWN_REJECTIONS = 5


@dataclass(frozen=True, slots=True)
class AddReport:
    """What one add did, in words for the person who pasted the text."""

    added: tuple[str, ...]
    parsed: ParsedIds
    source: str
    free_text: bool = False  # ids were looked for in prose (a log excerpt)

    @property
    def found_nothing(self) -> bool:
        return self.free_text and not self.parsed.ids and not self.parsed.duplicates

    @property
    def ok(self) -> bool:
        return not self.parsed.rejected_count and not self.found_nothing and not self.parsed.unread

    def summary(self) -> str:
        where = f" in {self.source}" if self.source else " in the text"
        unread = ""
        if self.parsed.unread:
            unread = (
                f"\nOnly the first {MAX_TEXT_CHARS >> 20} M characters were read; the "
                f"{self.parsed.unread:,} after them were not. Add the rest separately."
            )
        if self.found_nothing and not self.parsed.rejected:
            return (
                f"No job ids found{where}. Job ids look like {_EXAMPLE_ID}, or follow job_id= "
                "in a log line." + unread
            )
        parts: list[str] = []
        n = len(self.added)
        parts.append(f"Added {n} job{'s' if n != 1 else ''}" if n else "No new jobs added")
        if self.parsed.duplicates:
            d = self.parsed.duplicates
            parts.append(f"{d} duplicate{'s' if d != 1 else ''} skipped")
        rejected = self.parsed.rejected
        count = self.parsed.rejected_count
        if count:
            parts.append(f"{count:,} rejected")
        text = ", ".join(parts) + (f" from {self.source}." if self.source else ".") + unread
        for item in rejected[:_SHOWN_REJECTIONS]:
            text += f"\nRejected {item.text[:60]!r}: {item.reason}"
        if count > _SHOWN_REJECTIONS:
            text += f"\n… and {count - _SHOWN_REJECTIONS:,} more rejected"
        if rejected:
            text += f"\nJob ids look like {_EXAMPLE_ID} (upper case and braces are fine)."
        return text


_EXAMPLE_ID = "123e4567-e89b-42d3-a456-426614174000"
SUCCESS_SHOWN_MS = 8000  # a plain "Added 3 jobs." goes away by itself; problems stay


class JobAdder(QObject):
    """Validates text, files and drops, adds the good ids, and reports what it did."""

    reported = Signal(object)  # AddReport

    def __init__(self, watchlist: WatchList, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._watchlist = watchlist
        self.stream = AddStream(watchlist, self)

    def add_text_in_background(
        self, text: str, *, source: str = "", done: Callable[[AddReport], None] | None = None
    ) -> None:
        """Like ``add_text``, parsed on a worker thread and added a few ms per turn: the report
        comes through ``reported`` (and ``done``). A short text is added at once."""
        if len(text) <= BACKGROUND_CHARS and not self.stream.busy:
            report = self.add_text(text, source=source)
            if done is not None:
                done(report)
            return

        def parse(known: frozenset[str]) -> Pasted:  # on the worker: even telling prose apart
            parsed, free = parse_pasted(text, known)
            return Pasted(parsed, free, source)

        self._in_background(parse, done)

    def add_files_in_background(
        self, paths: Iterable[Path], done: Callable[[AddReport], None] | None = None
    ) -> None:
        """Like ``add_files``, read and parsed on a worker thread (a file may be 32 MB)."""
        files = list(paths)
        self._in_background(lambda known: parse_files(files, known), done)

    def _in_background(
        self, parse: Callable[[frozenset[str]], Pasted], done: Callable[[AddReport], None] | None
    ) -> None:
        def finished(pasted: Pasted, added: tuple[str, ...]) -> None:
            report = AddReport(added, pasted.parsed, pasted.source, pasted.free_text)
            self.reported.emit(report)
            if done is not None:
                done(report)

        self.stream.start(parse, finished)

    def add_text(
        self, text: str, *, source: str = "", problems: tuple[RejectedId, ...] = ()
    ) -> AddReport:
        """Parse and add at once, on this thread: bounded (see ``parse_pasted``), for short
        texts, launches and tests; the window's paste, drop and import use the background."""
        parsed, free = parse_pasted(text, self._watchlist.known_ids())
        if problems:
            parsed = replace(parsed, rejected=problems + parsed.rejected)
        added = tuple(self._watchlist.add(parsed.ids))
        report = AddReport(added, parsed, source, free)
        self.reported.emit(report)
        return report

    def add_files(self, paths: Iterable[Path]) -> AddReport:
        text, source, problems = read_id_files(paths)
        return self.add_text(text, source=source, problems=problems)

    def add_mime(self, mime: QMimeData) -> AddReport | None:
        """A drop or a paste of files (their contents) or of text, added at once."""
        if mime.hasUrls():
            files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            if files:
                return self.add_files(files)
        if mime.hasText():
            return self.add_text(mime.text(), source="dropped text")
        return None

    def add_mime_in_background(self, mime: QMimeData) -> bool:
        """``add_mime`` with the reading and parsing on a worker (the window's drops): whether
        the drop held anything to add; the report comes through ``reported``."""
        if mime.hasUrls():
            files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            if files:
                self.add_files_in_background(files)
                return True
        if mime.hasText():
            self.add_text_in_background(mime.text(), source="dropped text")
            return True
        return False


class IdsEdit(QPlainTextEdit):
    """A short multi-line field: Enter adds, Shift+Enter starts a new line; a huge paste is
    not laid out in it but handed on (``pasted_big``)."""

    submitted = Signal()
    pasted_big = Signal(str)

    def insertFromMimeData(self, source: QMimeData) -> None:
        if source.hasText() and not source.hasUrls():
            text = source.text()
            if len(text) > FIELD_PASTE_CHARS:
                self.pasted_big.emit(text)
                return
        super().insertFromMimeData(source)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.submitted.emit()
            return
        super().keyPressEvent(event)


class AddJobsBar(QWidget):
    """The add field, its button, and a line saying what was added or rejected, and why."""

    def __init__(self, adder: JobAdder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._adder = adder
        self.edit = IdsEdit(self)
        self.edit.setPlaceholderText(
            "Paste or type job ids: one or many, separated by spaces, commas or new lines "
            "(Enter to add)"
        )
        self.edit.setAccessibleName("Job ids to add")
        self.edit.setTabChangesFocus(True)
        line = self.edit.fontMetrics().lineSpacing()
        self.edit.setFixedHeight(int(line * 2.6))
        self.edit.submitted.connect(self.submit)
        self.edit.pasted_big.connect(
            lambda text: self._adder.add_text_in_background(text, source="pasted text")
        )
        self.button = QPushButton("&Add", self)
        self.button.setAccessibleName("Add job ids")
        self.button.setToolTip("Add the job ids in the field to the watch list (Enter)")
        self.button.clicked.connect(self.submit)
        self.feedback = ValueLabel("Result of the last add", parent=self)
        self.announcer = Announcer(self.feedback)
        self.feedback.setWordWrap(True)
        self.feedback.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.feedback.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.feedback.hide()
        self.fade_timer = QTimer(self, singleShot=True, interval=SUCCESS_SHOWN_MS)
        self.fade_timer.timeout.connect(self.feedback.hide)
        # Rejections stay until fixed: emptying the field (or the next add) clears them.
        self.edit.textChanged.connect(self._on_edited)

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.feedback)
        adder.reported.connect(self.show_report)

    def submit(self) -> None:
        text = self.edit.toPlainText()
        if not text.strip():
            self.edit.setFocus()
            return
        self.edit.setReadOnly(True)  # until the report: a big paste is parsed in the background
        self._adder.add_text_in_background(text, done=lambda report: self._added(text, report))

    def _added(self, text: str, report: AddReport) -> None:
        self.edit.setReadOnly(False)
        if self.edit.toPlainText() != text:
            return  # edited meanwhile (a drop): leave it as it is
        if report.found_nothing:
            return  # the text stays as it was: nothing in it looked like an id
        if report.ok:
            self.edit.clear()
        else:  # keep only what was rejected, so it can be fixed in place
            self.edit.setPlainText("\n".join(r.text for r in report.parsed.rejected))

    def show_report(self, report: AddReport) -> None:
        text = report.summary()
        icon = "✔" if report.ok else "⚠"  # a symbol, not colour alone
        self.feedback.setText(f"{icon} {text}")
        self.feedback.setToolTip(
            "\n".join(f"{r.text[:80]!r}: {r.reason}" for r in report.parsed.rejected[:50])
        )
        self.feedback.setProperty("problem", not report.ok)
        self.feedback.show()
        self.announcer.say(text.split("\n", 1)[0], assertive=not report.ok)
        if report.ok:
            self.fade_timer.start()
        else:
            self.fade_timer.stop()

    def _on_edited(self) -> None:
        if not self.edit.toPlainText().strip() and self.feedback.property("problem"):
            self.feedback.hide()
