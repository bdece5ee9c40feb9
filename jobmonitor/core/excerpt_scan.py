"""Counting lines through decoded text in pieces, keeping only a window of the few lines wanted.

Split from ``excerpt`` because it is the part that must be fast and bounded: chunks wholly before
the first wanted line are only counted (``str.count`` runs in C), and of each wanted line only the
characters in ``[lo, hi)`` are kept, so a 100 MB single-line input costs one window of memory.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

_ANY = re.compile(r"\r\n|\r|\n")
_LF = re.compile(r"\r?\n")  # JSON's rule: CRLF ends a line as LF does; a lone CR does not


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
    def __init__(self, first: int, last: int, lo: int, hi: int, lf_only: bool) -> None:
        self.first, self.last, self.lo, self.hi = first, last, lo, hi
        self.lf_only = lf_only
        self.breaks = _LF if lf_only else _ANY
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
        lf = text.count("\n")
        return lf if self.lf_only else lf + text.count("\r") - text.count("\r\n")

    def _skip(self, text: str) -> None:
        count = self._count(text)
        end = text.rfind("\n") if self.lf_only else max(text.rfind("\n"), text.rfind("\r"))
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
    texts: Iterable[str], first: int, last: int, lo: int, hi: int, lf_only: bool = False
) -> LineScan:
    """Lines ``first..last`` (1-based) of the text given in pieces, characters [lo, hi) of each.

    Reads no further than the end of line ``last``. A CR at the end of a piece is held back until
    the next one, so a CRLF split between two pieces is still one line break.
    """
    scanner = _Scanner(first, last, lo, hi, lf_only)
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
