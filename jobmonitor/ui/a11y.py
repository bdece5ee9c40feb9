"""What a screen reader hears: labels that expose their value, names for Qt's nameless buttons,
and spoken announcements.

Qt gives a label with an accessible name that name alone (AT-SPI never sees its text), so a
label that shows a value ("Status: Failed", the add result) names itself after caption and
value each time its text changes. Announcements use ``QAccessibleAnnouncementEvent`` (Qt 6.8+;
Orca speaks it); before that, a value-changed event on the widget is the nearest a screen
reader notices.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleValueChangeEvent, QTextDocument
from PySide6.QtWidgets import QLabel, QLineEdit, QToolBar, QToolButton, QWidget

try:  # Qt 6.8 and later
    from PySide6.QtGui import QAccessibleAnnouncementEvent
except ImportError:  # pragma: no cover - older PySide6
    QAccessibleAnnouncementEvent = None  # type: ignore[assignment,misc]

_TAG = re.compile(r"<[a-zA-Z/][^>]*>")


def plain_text(text: str) -> str:
    """A label's text as words: rich text rendered, spacing folded."""
    if _TAG.search(text):
        doc = QTextDocument()
        doc.setHtml(text)
        text = doc.toPlainText()
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


class ValueLabel(QLabel):
    """A label showing a value: its accessible name is "caption: value" (caption when empty)."""

    def __init__(self, caption: str, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._caption = caption
        self.setAccessibleDescription(caption)
        self.setText(text)

    @property
    def caption(self) -> str:
        return self._caption

    def setText(self, text: str) -> None:
        super().setText(text)
        value = plain_text(text)
        self.setAccessibleName(f"{self._caption}: {value}" if value else self._caption)


def expose_value(label: QLabel, caption: str) -> None:
    """For a label built elsewhere: name it after caption and its current text (call again
    after each change, or use ``ValueLabel``)."""
    value = plain_text(label.text())
    label.setAccessibleName(f"{caption}: {value}" if value else caption)
    label.setAccessibleDescription(caption)


def name_clear_button(edit: QLineEdit, name: str = "Clear the text") -> None:
    """The clear button ``setClearButtonEnabled`` adds has no name of its own."""
    for button in edit.findChildren(QToolButton):
        button.setAccessibleName(name)
        button.setToolTip(name)


def name_toolbar_overflow(toolbar: QToolBar) -> None:
    """The ≫ button a toolbar shows when it is too narrow for its actions."""
    for button in toolbar.findChildren(QToolButton, "qt_toolbar_ext_button"):
        button.setAccessibleName("More toolbar actions")
        button.setToolTip("More toolbar actions")


def order_focus_chain(
    window: QWidget, groups: Sequence[QWidget], *, last: Sequence[QWidget] = ()
) -> None:
    """Reorder ``window``'s Tab chain: the widgets in (or under) each of ``groups`` in that
    order, then everything else, then those under ``last``; within a part, the order stays."""
    chain: list[QWidget] = []
    widget = window.nextInFocusChain()
    while widget is not None and widget is not window and len(chain) < 100_000:
        chain.append(widget)
        widget = widget.nextInFocusChain()
    parts = [*groups, None, *last]

    def part(w: QWidget) -> int:
        for n, group in enumerate(parts):
            if group is not None and (w is group or group.isAncestorOf(w)):
                return n
        return len(groups)

    tab = Qt.FocusPolicy.TabFocus
    focusable = [w for w in chain if (w.focusPolicy() & tab) == tab]
    ordered = sorted(focusable, key=part)  # stable: each part keeps its order
    for before, after in itertools.pairwise(ordered):
        QWidget.setTabOrder(before, after)


class Announcer(QObject):
    """Says a sentence to a screen reader, as from ``widget``; ``announced`` for tests and logs."""

    announced = Signal(str)

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self._widget = widget

    def say(self, text: str, *, assertive: bool = False) -> None:
        if not text:
            return
        self.announced.emit(text)
        if not QAccessible.isActive():
            return  # no screen reader listening: nothing to build
        if QAccessibleAnnouncementEvent is not None:
            event = QAccessibleAnnouncementEvent(self._widget, text)
            if assertive:
                event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive)
            QAccessible.updateAccessibility(event)
        else:  # pragma: no cover - before Qt 6.8
            self._widget.setAccessibleDescription(text)
            QAccessible.updateAccessibility(QAccessibleValueChangeEvent(self._widget, text))
