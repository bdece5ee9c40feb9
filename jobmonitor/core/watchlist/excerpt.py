"""The lines of an input around a parser's line and column, ready to show with a caret.

Conventions (what a job's ``details.line`` / ``details.column`` are taken to mean):

- Both are **1-based** and the column counts **characters** (Unicode code points) of the decoded
  text, as Python's ``json``, PyYAML (plus one) and expat (plus one) count them. A tab is **one**
  character; a byte order mark is not part of the text (column 1 is the character after it).
- Lines end at LF, CRLF or a lone CR (``LineBreaks.ANY``: expat, the csv module, editors); at LF
  and CRLF only for JSON (Python's ``json`` leaves a lone CR inside the line); YAML adds NEL and
  the Unicode line and paragraph separators. expat counts a BOM as column 1 of line 1; a decoding
  error's column counts bytes. ``reading_for(code)`` picks these rules from the error code.
- Decoding: a BOM names UTF-8, UTF-16 LE/BE or UTF-32 LE/BE; without one, NUL bytes among the first
  four name UTF-16/32 (as ``json.detect_encoding`` does); else UTF-8, and Latin-1 when the bytes
  are not UTF-8 (every byte is then one character, so columns still match).

Display: a line longer than ``width`` characters is windowed around the column (``…`` marks what
is cut); tabs are expanded to ``tab_size`` stops counted from the start of the shown text, in the
text and in the caret alike; control and invisible formatting characters (bidi overrides,
zero-width marks) are shown as one visible symbol each, so every character keeps its one place.
The file is read in chunks and only as far as the last line shown: a failure on line 4 of a large
file reads one chunk, and no line is ever held whole.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

from jobmonitor.core.watchlist.excerpt_scan import LineBreaks, LineScan, scan_lines

CHUNK = 1 << 20  # bytes read at a time from a file


@dataclass(frozen=True, slots=True)
class Reading:
    """How the parser behind an error counted: line endings, the BOM, the characters."""

    breaks: LineBreaks = LineBreaks.ANY
    bom_is_column: bool = False  # expat counts a BOM as the first column of line 1
    codec: str | None = None  # None: sniffed; "latin-1": the position counts bytes


_READINGS = {
    "INVALID_JSON": Reading(LineBreaks.LF),
    "INVALID_YAML": Reading(LineBreaks.YAML),
    "INVALID_XML": Reading(LineBreaks.ANY, bom_is_column=True),
    # A decoding error's position is a byte offset in a line of bytes ended by LF.
    "INVALID_ENCODING": Reading(LineBreaks.LF, codec="latin-1"),
}


def reading_for(code: str | None) -> Reading:
    """The counting rules of the parser behind an error code (any other: ``Reading()``)."""
    return _READINGS.get((code or "").strip().upper(), Reading())


@dataclass(frozen=True, slots=True)
class ExcerptLine:
    """One line as shown: ``text`` is the display text (window, expanded tabs, visible controls)."""

    number: int  # 1-based
    text: str
    source: (
        str  # the same window of the line as it is in the input (tabs as tabs), for reading aloud
    )
    length: int  # characters in the whole line
    clipped_left: bool
    clipped_right: bool


@dataclass(frozen=True, slots=True)
class Excerpt:
    """A few lines around ``line``; ``caret`` indexes ``lines[target].text`` (None: no column)."""

    line: int
    column: int | None
    lines: tuple[ExcerptLine, ...]
    target: (
        int | None
    )  # index into ``lines`` of the failing line; None when the input has no such line
    caret: int | None
    encoding: str  # the codec the input was read with, e.g. "utf-8", "utf-16-le", "latin-1"
    bom: bool
    problem: str | None = None  # why the caret may not be where the parser meant (input changed?)
    character: str | None = None  # the character at the column, as in the input (a tab is "\t")

    @property
    def failing(self) -> ExcerptLine | None:
        return self.lines[self.target] if self.target is not None else None

    @property
    def caret_cells(self) -> int | None:
        """Terminal cells before the caret (wide characters take two, combining marks none)."""
        failing = self.failing
        if failing is None or self.caret is None:
            return None
        return sum(cell_width(ch) for ch in failing.text[: self.caret])

    def spoken(self) -> str:
        """``line 4, column 7: <the line>``: what a screen reader says for the excerpt."""
        where = f"line {self.line}" + (f", column {self.column}" if self.column else "")
        failing = self.failing
        if failing is None:
            return f"{where}: {self.problem or 'not in the input'}"
        return f"{where}: {failing.source}"


def cell_width(ch: str) -> int:
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


_BOMS = (  # longest first: the UTF-32 LE mark starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def sniff_encoding(head: bytes) -> tuple[str, int]:
    """(codec, BOM length) from the first bytes of an input (at least four when it has them)."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    # No BOM: NULs among the first bytes of an ASCII start, read as json.detect_encoding does (so
    # a JSON input is decoded as the server's parser decoded it).
    if len(head) >= 4:
        if not head[0]:
            return ("utf-16-be" if head[1] else "utf-32-be"), 0
        if not head[1]:
            return ("utf-16-le" if head[2] or head[3] else "utf-32-le"), 0
    elif len(head) == 2:
        if not head[0]:
            return "utf-16-be", 0
        if not head[1]:
            return "utf-16-le", 0
    return "utf-8", 0


def _visible(ch: str) -> str:
    code = ord(ch)
    if code < 0x20 or code == 0x7F:
        return chr(0x2421) if code == 0x7F else chr(0x2400 + code)  # ␀ ␁ … ␍ … ␡
    category = unicodedata.category(ch)
    if category in ("Zl", "Zp"):  # Qt would break the line there: the gutter would lose count
        return "\N{SYMBOL FOR NEWLINE}"
    if category in ("Cc", "Cf"):  # C1 controls, bidi overrides, zero-width marks: shown, not obeyed
        return "\N{REPLACEMENT CHARACTER}"
    return ch


def _display(body: str, tab_size: int, caret_at: int | None) -> tuple[str, int | None]:
    """Tabs expanded and controls made visible; the caret's index moved along with them."""
    out: list[str] = []
    width = 0
    caret = None
    for i, ch in enumerate(body):
        if i == caret_at:
            caret = width
        if ch == "\t":
            pad = tab_size - width % tab_size
            out.append(" " * pad)
            width += pad
        else:
            out.append(_visible(ch))
            width += 1
    if caret_at is not None and caret is None:  # one past the end: after the last character
        caret = width
    return "".join(out), caret


def window(column: int | None, width: int, left: int) -> tuple[int, int]:
    """The characters [lo, hi) of every shown line: the column's own line decides where it starts.

    Without a column, or when it fits in the first ``width - left // 2`` characters, lines are shown
    from their start; otherwise ``left`` characters before the column and the rest after it.
    """
    if column is None or column - 1 < width - left // 2:
        return 0, width
    lo = column - 1 - left
    return lo, lo + width


def build_excerpt(
    scan: LineScan,
    *,
    line: int,
    column: int | None,
    at: int | None,
    encoding: str,
    bom: bool,
    lo: int,
    tab_size: int = 4,
) -> Excerpt:
    """The excerpt from scanned lines (``scan_lines`` captured characters [lo, hi) of each).

    ``column`` is the column as the parser gave it, ``at`` the same place counted in the text.
    """
    lines: list[ExcerptLine] = []
    target = caret = None
    problem = character = None
    for number, (chars, length) in sorted(scan.captured.items()):
        # The empty "line" after a final line break exists for the parser, not for the reader.
        if scan.final_break and number == scan.last_line and number != line:
            continue
        left, right = lo > 0 and length > 0, lo + len(chars) < length
        col_in = None
        if number == line:
            target = len(lines)
            if at is not None:
                if at - 1 > length:
                    problem = (
                        f"column {column} is past the end of line {line} ({length} characters)"
                    )
                col_in = min(at - 1, length) - lo
                if 0 <= col_in < len(chars):
                    character = chars[col_in]
        text, caret_here = _display(chars, tab_size, col_in)
        prefix, suffix = ("…" if left else ""), ("…" if right else "")
        if number == line and caret_here is not None:
            caret = caret_here + len(prefix)
        lines.append(ExcerptLine(number, prefix + text + suffix, chars, length, left, right))
    if target is None:
        problem = f"the input has {scan.reader_lines} lines; line {line} is not in it"
    return Excerpt(line, column, tuple(lines), target, caret, encoding, bom, problem, character)


def excerpt_from_chunks(
    open_chunks: Callable[[], Iterable[bytes]],
    line: int,
    column: int | None = None,
    *,
    reading: Reading = Reading(),
    before: int = 3,
    after: int = 3,
    width: int = 120,
    tab_size: int = 4,
) -> Excerpt:
    """Read an input (``open_chunks()`` gives its bytes in order; called again for a Latin-1
    retry) as far as line ``line + after`` and build its excerpt."""
    if line < 1 or (column is not None and column < 1):
        raise ValueError("line and column are 1-based")
    chunks = iter(open_chunks())
    head = b""
    for chunk in chunks:  # enough bytes to sniff a BOM or NULs
        head += chunk
        if len(head) >= 4:
            break
    codec, bom_len = (reading.codec, 0) if reading.codec else sniff_encoding(head)
    at = column  # the column counted in the decoded text, without the BOM
    if at is not None and bom_len and reading.bom_is_column and line == 1:
        at = max(at - 1, 1)
    lo, hi = window(at, width, left=width // 3)
    first, last = max(1, line - before), line + after
    try:
        texts = _decoded(head[bom_len:], chunks, codec)
        scan = scan_lines(texts, first, last, lo, hi, reading.breaks)
    except UnicodeDecodeError:  # not UTF-8 after all: read it again, one byte per character
        codec, bom_len, at = "latin-1", 0, column
        lo, hi = window(at, width, left=width // 3)
        texts = _decoded(b"", iter(open_chunks()), codec)
        scan = scan_lines(texts, first, last, lo, hi, reading.breaks)
    return build_excerpt(
        scan,
        line=line,
        column=column,
        at=at,
        encoding=codec,
        bom=bom_len > 0,
        lo=lo,
        tab_size=tab_size,
    )


def _decoded(head: bytes, rest: Iterator[bytes], codec: str) -> Iterator[str]:
    # UTF-8 is decoded strictly (an error means Latin-1); a named UTF-16/32 input with a stray
    # byte still shows, with a replacement character where the byte was.
    decoder = codecs.getincrementaldecoder(codec)("strict" if codec == "utf-8" else "replace")
    if head:
        yield decoder.decode(head)
    for chunk in rest:
        yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


class ExcerptOptions(TypedDict, total=False):
    before: int
    after: int
    width: int
    tab_size: int
    reading: Reading


def excerpt_from_bytes(
    data: bytes, line: int, column: int | None = None, **kw: Unpack[ExcerptOptions]
) -> Excerpt:
    """``excerpt_from_chunks`` over bytes in memory (same keyword options)."""

    def chunks() -> Iterator[bytes]:
        return (data[i : i + CHUNK] for i in range(0, len(data), CHUNK))

    return excerpt_from_chunks(chunks, line, column, **kw)


def excerpt_from_file(
    path: Path, line: int, column: int | None = None, **kw: Unpack[ExcerptOptions]
) -> Excerpt:
    """``excerpt_from_chunks`` over a file, read in ``CHUNK`` pieces (raises OSError)."""

    def chunks() -> Iterator[bytes]:
        with path.open("rb") as f:
            while piece := f.read(CHUNK):
                yield piece

    return excerpt_from_chunks(chunks, line, column, **kw)


_GUTTER_SEP = " │ "


def excerpt_text(excerpt: Excerpt) -> str:
    """The excerpt as plain text: numbered lines, ``>`` on the failing one, ``^`` under the column."""
    digits = len(str(max((ln.number for ln in excerpt.lines), default=excerpt.line)))
    out = []
    for i, ln in enumerate(excerpt.lines):
        mark = ">" if i == excerpt.target else " "
        out.append(f"{mark}{str(ln.number).rjust(digits)}{_GUTTER_SEP}{ln.text}".rstrip())
        if i == excerpt.target and excerpt.caret_cells is not None:
            out.append(" " * (1 + digits) + _GUTTER_SEP + " " * excerpt.caret_cells + "^")
    if excerpt.problem:
        out.append(f"({excerpt.problem})")
    return "\n".join(out)


def location(path: str | Path, line: int, column: int | None) -> str:
    """``path:line:column`` (or ``path:line``), the form editors and terminals open."""
    return f"{path}:{line}" + (f":{column}" if column else "")
