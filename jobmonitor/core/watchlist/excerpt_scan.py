"""Counting lines through decoded text in pieces, keeping only a window of the few lines wanted.

Split from ``excerpt`` because it is the part that must be fast and bounded: chunks wholly before
the first wanted line are only counted (``str.count`` runs in C), and of each wanted line only the
characters in ``[lo, hi)`` are kept, so a 100 MB single-line input costs one window of memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum


class LineBreaks(Enum):
    """Which line endings the parser that named the line counted."""

    ANY = "any"  # LF, CRLF, CR: expat, the csv module, most editors
    LF = "lf"  # LF and CRLF; a lone CR is a character of its line: Python's json, JSON.parse
    YAML = "yaml"  # ANY, plus NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR (YAML 1.1, PyYAML)


_SINGLES = {
    LineBreaks.ANY: ("\n", "\r"),
    LineBreaks.LF: ("\n",),
    LineBreaks.YAML: ("\n", "\r", "\x85", "\u2028", "\u2029"),
}
_PATTERNS = {
    LineBreaks.ANY: re.compile(r"\r\n|\r|\n"),
    LineBreaks.LF: re.compile(r"\r?\n"),  # CRLF ends a line as LF does; a lone CR does not
    LineBreaks.YAML: re.compile("\r\n|[\r\n\x85\u2028\u2029]"),
}


@dataclass(slots=True)
class LineScan:
    """What ``scan_lines`` found: line number -> (kept characters, length of the whole line)."""

    captured: dict[int, tuple[str, int]] = field(default_factory=dict)
    last_line: int = 1  # the last line read: the input's line count when it ended early
    ended: bool = False  # the input ended before the last wanted line did
    final_break: bool = False  # ...right after a line break (its last "line" is the empty rest)

    @property
    def reader_lines(self) -> int:
        """Lines as an editor counts them: the empty rest after a final line break is none."""
        return self.last_line - 1 if self.final_break else self.last_line


class _Scanner:
    def __init__(self, first: int, last: int, lo: int, hi: int, breaks: LineBreaks) -> None:
        self.first, self.last, self.lo, self.hi = first, last, lo, hi
        self.singles = _SINGLES[breaks]
        self.breaks = _PATTERNS[breaks]
        self.line = 1
        self.pos = 0  # characters of the current line so far
        self.kept: list[str] = []
        self.result = LineScan()

    @property
    def done(self) -> bool:
        return self.line > self.last

    def feed(self, text: str) -> None:
        if self.line + self._count(text) < self.first:  # nothing wanted in here: count and go on
            self._skip(text)
            return
        start = 0
        for match in self.breaks.finditer(text):
            self._piece(text[start : match.start()])
            self._end_line()
            start = match.end()
            if self.done:
                return
        self._piece(text[start:])

    def finish(self) -> LineScan:
        if not self.done:
            self.result.final_break = self.pos == 0 and self.line > 1
            self._end_line()
            self.result.ended = True
            self.result.last_line = self.line - 1
        else:
            self.result.last_line = self.last
        return self.result

    def _count(self, text: str) -> int:
        count = sum(text.count(ch) for ch in self.singles)
        return count - text.count("\r\n") if "\r" in self.singles else count

    def _skip(self, text: str) -> None:
        count = self._count(text)
        end = max(text.rfind(ch) for ch in self.singles)
        self.line += count
        self.pos = len(text) - end - 1 if count else self.pos + len(text)

    def _piece(self, piece: str) -> None:
        if self.first <= self.line <= self.last:
            a, b = max(self.lo - self.pos, 0), min(self.hi - self.pos, len(piece))
            if a < b:
                self.kept.append(piece[a:b])
        self.pos += len(piece)

    def _end_line(self) -> None:
        if self.first <= self.line <= self.last:
            self.result.captured[self.line] = ("".join(self.kept), self.pos)
        self.kept = []
        self.line += 1
        self.pos = 0


def scan_lines(
    texts: Iterable[str],
    first: int,
    last: int,
    lo: int,
    hi: int,
    breaks: LineBreaks = LineBreaks.ANY,
) -> LineScan:
    """Lines ``first..last`` (1-based) of the text given in pieces, characters [lo, hi) of each.

    Reads no further than the end of line ``last``. A CR at the end of a piece is held back until
    the next one, so a CRLF split between two pieces is still one line break.
    """
    scanner = _Scanner(first, last, lo, hi, breaks)
    pending = ""
    for piece in texts:
        text = pending + piece
        pending = "\r" if text.endswith("\r") else ""
        scanner.feed(text[:-1] if pending else text)
        if scanner.done:
            return scanner.finish()
    if pending:
        scanner.feed(pending)
    return scanner.finish()
