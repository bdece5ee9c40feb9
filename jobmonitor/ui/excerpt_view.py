"""The lines of an input around a failure: line-number gutter, failing line highlighted, caret.

A read-only ``QPlainTextEdit`` (selectable and copyable by mouse and keyboard) after Qt's "Code
Editor" example: the gutter is a child widget painted from the visible blocks. The caret is a
real line of text under the failing one (``^`` after spaces), so a copy of the excerpt keeps it;
its spaces are counted from the font's own advances, so it sits under the character even after
wide characters. The character itself is also marked (background and underline), so the exact
spot is visible in any font, and the failing line is marked by ``▸`` in the gutter besides colour.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFontDatabase,
    QFontMetricsF,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextEdit, QTextEdit, QWidget

from jobmonitor.core.watchlist.excerpt import Excerpt

MARK = "▸"


class _Gutter(QWidget):
    def __init__(self, view: ExcerptView) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(self) -> QSize:
        return QSize(self._view.gutter_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self._view.paint_gutter(event)


class ExcerptView(QPlainTextEdit):
    """Shows one ``Excerpt``; ``numbers[i]`` is the gutter text of block ``i`` ('' for the caret)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)
        self.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse
            | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setUndoRedoEnabled(False)
        self.numbers: list[str] = []
        self.failing_block: int | None = None
        self.caret_block: int | None = None
        self._gutter = _Gutter(self)
        self.blockCountChanged.connect(lambda _n: self._fit_gutter())
        self.updateRequest.connect(self._scroll_gutter)
        self.excerpt: Excerpt | None = None

    # -- content ---------------------------------------------------------------------------

    def show_excerpt(self, excerpt: Excerpt) -> None:
        self.excerpt = excerpt
        texts: list[str] = []
        self.numbers, self.failing_block, self.caret_block = [], None, None
        for i, line in enumerate(excerpt.lines):
            texts.append(line.text)
            self.numbers.append(str(line.number))
            if i == excerpt.target:
                self.failing_block = len(texts) - 1
                if excerpt.caret is not None:
                    texts.append(" " * self._caret_spaces(line.text, excerpt.caret) + "^")
                    self.numbers.append("")
                    self.caret_block = len(texts) - 1
        self.setPlainText("\n".join(texts))
        self.setAccessibleName(excerpt.spoken())
        shown = f"lines {excerpt.lines[0].number} to {excerpt.lines[-1].number}" if texts else ""
        self.setAccessibleDescription(
            f"The input around the failure, {shown}; the failing line is marked {MARK}"
        )
        self._mark()
        self._fit_height(len(texts))
        self._fit_gutter()
        self._reveal_caret()

    def _caret_spaces(self, text: str, caret: int) -> int:
        metrics = QFontMetricsF(self.font())
        space = metrics.horizontalAdvance(" ") or 1.0
        return round(metrics.horizontalAdvance(text[:caret]) / space)

    def caret_cursor(self) -> QTextCursor | None:
        """A cursor just before the character the parser named (in the failing line)."""
        excerpt = self.excerpt
        if excerpt is None or excerpt.caret is None or self.failing_block is None:
            return None
        block = self.document().findBlockByNumber(self.failing_block)
        cursor = QTextCursor(block)
        cursor.setPosition(block.position() + excerpt.caret)
        return cursor

    def _mark(self) -> None:
        marks: list[QTextEdit.ExtraSelection] = []
        highlight = self.palette().color(QPalette.ColorRole.Highlight)
        if self.failing_block is not None:
            line = QTextEdit.ExtraSelection()
            line.cursor = QTextCursor(self.document().findBlockByNumber(self.failing_block))
            line.format.setBackground(_soft(highlight, 0.18, self.palette()))
            line.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            marks.append(line)
        cursor = self.caret_cursor()
        if cursor is not None and not cursor.atBlockEnd():
            spot = QTextEdit.ExtraSelection()
            cursor.movePosition(QTextCursor.MoveOperation.Right, QTextCursor.MoveMode.KeepAnchor)
            spot.cursor = cursor
            spot.format.setBackground(_soft(highlight, 0.45, self.palette()))
            spot.format.setUnderlineStyle(QTextCharFormat.UnderlineStyle.SingleUnderline)
            marks.append(spot)
        self.setExtraSelections(marks)

    def _fit_height(self, lines: int) -> None:
        margins = self.contentsMargins().top() + self.contentsMargins().bottom()
        chrome = margins + 2 * int(self.document().documentMargin()) + 6
        bar = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(self.fontMetrics().lineSpacing() * max(lines, 1) + chrome + bar)

    def _reveal_caret(self) -> None:
        """Scrolled so the named character is in view (a windowed line can still be wide)."""
        cursor = self.caret_cursor()
        self.horizontalScrollBar().setValue(0)
        if cursor is not None:
            self.setTextCursor(cursor)
            self.ensureCursorVisible()

    # -- gutter ----------------------------------------------------------------------------

    def gutter_width(self) -> int:
        digits = max((len(n) for n in self.numbers), default=1)
        return 10 + self.fontMetrics().horizontalAdvance("9" * digits + " " + MARK)

    def _fit_gutter(self) -> None:
        self.setViewportMargins(self.gutter_width(), 0, 0, 0)

    def _scroll_gutter(self, rect: QRect, dy: int) -> None:
        if dy:
            self._gutter.scroll(0, dy)
        else:
            self._gutter.update(0, rect.y(), self._gutter.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        area = self.contentsRect()
        self._gutter.setGeometry(QRect(area.left(), area.top(), self.gutter_width(), area.height()))

    def paint_gutter(self, event: QPaintEvent) -> None:
        painter = QPainter(self._gutter)
        palette = self.palette()
        painter.fillRect(event.rect(), palette.color(QPalette.ColorRole.AlternateBase))
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        width = self._gutter.width() - 5
        while block.isValid() and top <= event.rect().bottom():
            number = block.blockNumber()
            if block.isVisible() and number < len(self.numbers):
                failing = number == self.failing_block
                painter.setPen(
                    palette.color(
                        QPalette.ColorRole.Text if failing else QPalette.ColorRole.PlaceholderText
                    )
                )
                text = (MARK + " " if failing else "") + self.numbers[number]
                painter.drawText(0, top, width, height, Qt.AlignmentFlag.AlignRight, text)
            top += round(self.blockBoundingRect(block).height())
            block = block.next()
        painter.end()


def _soft(color: QColor, strength: float, palette: QPalette) -> QColor:
    """``color`` blended into the base colour: readable on the light and the dark palette."""
    base = palette.color(QPalette.ColorRole.Base)
    return QColor(
        round(base.red() + (color.red() - base.red()) * strength),
        round(base.green() + (color.green() - base.green()) * strength),
        round(base.blue() + (color.blue() - base.blue()) * strength),
    )
