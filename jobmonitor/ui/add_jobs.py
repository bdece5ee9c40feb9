"""Adding job ids: a field that takes one or many (pasted lists, logs, CSV), files, and drops."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
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

from jobmonitor.api.errors import InvalidJobId
from jobmonitor.api.ids import (
    JobId,
    ParsedIds,
    RejectedId,
    find_job_ids,
    has_id_pairs,
    normalize_job_id,
    parse_job_ids,
)
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui.a11y import Announcer, ValueLabel
from jobmonitor.ui.add_stream import AddStream

MAX_IMPORT_BYTES = 32 * 1024 * 1024  # far beyond any real list of ids
BACKGROUND_CHARS = 64 * 1024  # a paste longer than this (about 1,700 ids) is parsed off the loop
_SHOWN_REJECTIONS = 5


# Signs of prose rather than a list of ids: punctuation no id or list separator uses, and words.
_PROSE_MARK = re.compile(r"[:=()\[\]<>/\\.!?#@$%^&*+~]")
_SEPARATORS = re.compile(r"[\s,;|\"'`]+")


# A token of two or more ASCII letters and nothing else (braces aside): a word, not an id.
_WORD = re.compile(r"(?<![^\s,;|\"'`{}])[A-Za-z]{2,}(?![^\s,;|\"'`{}])")


def is_free_text(text: str) -> bool:
    """A log excerpt or a message, as opposed to a list of ids (one per line or cell, or
    separated by spaces or commas, where every token is meant as an id). Whole-text scans
    only (no loop over tokens): a paste of 100,000 ids is asked this on the GUI thread."""
    if has_id_pairs(text) or _PROSE_MARK.search(text):
        return True
    words = len(_WORD.findall(text))
    if words < 2:
        return False
    tokens = sum(1 for t in _SEPARATORS.split(text) if t)
    # "submitted job <id> for alice" is prose; "<id> <id> nope" is a list with a typo in it.
    return words >= tokens - words


def parse_pasted(text: str, known: frozenset[str] | set[str]) -> tuple[ParsedIds, bool]:
    """The ids in pasted text, and whether it was free text: there only the ids found are taken
    (UUIDs and ``job_id=…`` pairs) and other words are not reported as rejected ids."""
    if not is_free_text(text):
        return parse_job_ids(text, known=known), False
    ids: list[JobId] = []
    rejected: list[RejectedId] = []
    duplicates = 0
    for raw in find_job_ids(text):
        try:
            job_id = normalize_job_id(raw)
        except InvalidJobId as exc:  # named as an id (job_id=…), so worth saying why not
            rejected.append(RejectedId(raw, exc.reason))
            continue
        if job_id in known or job_id in ids:
            duplicates += 1
        else:
            ids.append(job_id)
    return ParsedIds(tuple(ids), tuple(rejected), duplicates), True


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
        return not self.parsed.rejected and not self.found_nothing

    def summary(self) -> str:
        where = f" in {self.source}" if self.source else " in the text"
        if self.found_nothing and not self.parsed.rejected:
            return (
                f"No job ids found{where}. Job ids look like {_EXAMPLE_ID}, or follow job_id= "
                "in a log line."
            )
        parts: list[str] = []
        n = len(self.added)
        parts.append(f"Added {n} job{'s' if n != 1 else ''}" if n else "No new jobs added")
        if self.parsed.duplicates:
            d = self.parsed.duplicates
            parts.append(f"{d} duplicate{'s' if d != 1 else ''} skipped")
        rejected = self.parsed.rejected
        if rejected:
            parts.append(f"{len(rejected)} rejected")
        text = ", ".join(parts) + (f" from {self.source}." if self.source else ".")
        for item in rejected[:_SHOWN_REJECTIONS]:
            text += f"\nRejected {item.text[:60]!r}: {item.reason}"
        if len(rejected) > _SHOWN_REJECTIONS:
            text += f"\n… and {len(rejected) - _SHOWN_REJECTIONS} more rejected"
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
        # Free text is searched, not split: fast at any length (the stream parses lists).
        if (len(text) <= BACKGROUND_CHARS and not self.stream.busy) or is_free_text(text):
            report = self.add_text(text, source=source)
            if done is not None:
                done(report)
            return

        def finished(parsed: ParsedIds, added: tuple[str, ...]) -> None:
            report = AddReport(added, parsed, source)
            self.reported.emit(report)
            if done is not None:
                done(report)

        self.stream.start(text, finished)

    def add_text(
        self, text: str, *, source: str = "", problems: tuple[RejectedId, ...] = ()
    ) -> AddReport:
        parsed, free = parse_pasted(text, self._watchlist.known_ids())
        if problems:
            parsed = ParsedIds(parsed.ids, problems + parsed.rejected, parsed.duplicates)
        added = tuple(self._watchlist.add(parsed.ids))
        report = AddReport(added, parsed, source, free)
        self.reported.emit(report)
        return report

    def add_files(self, paths: Iterable[Path]) -> AddReport:
        texts: list[str] = []
        names: list[str] = []
        problems: list[RejectedId] = []  # an unreadable file is rejected with its reason
        for path in paths:
            try:
                if path.stat().st_size > MAX_IMPORT_BYTES:
                    reason = f"file larger than {MAX_IMPORT_BYTES >> 20} MB"
                    problems.append(RejectedId(path.name, reason))
                    continue
                texts.append(path.read_text(encoding="utf-8-sig", errors="replace"))
                names.append(path.name)
            except OSError as exc:
                problems.append(RejectedId(path.name, f"cannot read: {exc.strerror or exc}"))
        source = ", ".join(names) or "no readable file"
        return self.add_text("\n".join(texts), source=source, problems=tuple(problems))

    def add_mime(self, mime: QMimeData) -> AddReport | None:
        """A drop or a paste of files (their contents) or of text."""
        if mime.hasUrls():
            files = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
            if files:
                return self.add_files(files)
        if mime.hasText():
            return self.add_text(mime.text(), source="dropped text")
        return None


class IdsEdit(QPlainTextEdit):
    """A short multi-line field: Enter adds, Shift+Enter starts a new line."""

    submitted = Signal()

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
