"""Walking a window as a screen reader does: Qt's accessibility tree (what AT-SPI is fed) and Tab.

``problems(widget)`` lists, in words, every control a screen reader would announce badly: a
focusable or clickable control without a name, and a label whose text (its value) is nowhere in
what it exposes. ``tab_walk(start)`` presses Tab from ``start`` until focus comes back, and
returns the widgets focus visited, in order.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleInterface, QTextDocument
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget

Role = QAccessible.Role
Text = QAccessible.Text

# Roles a user acts on: each must say what it is, focusable or not (a toolbar's overflow
# button and a search field's clear button take no focus but are clicked all the same).
_CONTROLS = {
    Role.Button,
    Role.CheckBox,
    Role.RadioButton,
    Role.ComboBox,
    Role.EditableText,
    Role.SpinBox,
    Role.Slider,
    Role.PageTab,
    Role.ButtonMenu,
    Role.ButtonDropDown,
    Role.Table,
    Role.Link,
}


def _plain(text: str) -> str:
    """What a label shows, as words: rich text rendered, mnemonics and spacing folded."""
    if re.search(r"<[a-zA-Z/][^>]*>", text):
        doc = QTextDocument()
        doc.setHtml(text)
        text = doc.toPlainText()
    text = text.replace("&&", "\0").replace("&", "").replace("\0", "&")
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ")).strip()


def _shown(iface: QAccessibleInterface) -> bool:
    obj = iface.object()
    if isinstance(obj, QWidget):
        return obj.isVisible()
    return not iface.state().invisible


def describe(iface: QAccessibleInterface) -> str:
    obj = iface.object()
    kind = type(obj).__name__ if obj is not None else "item"
    name = obj.objectName() if obj is not None else ""
    return f"{kind}{'#' + name if name else ''} ({iface.role().name})"


def problems(root: QWidget) -> list[str]:
    """Every control without a name and every label hiding its value, under ``root``."""
    found: list[str] = []

    def visit(iface: QAccessibleInterface) -> None:
        if not _shown(iface):
            return
        role = iface.role()
        name = iface.text(Text.Name).strip()
        obj = iface.object()
        if (role in _CONTROLS or iface.state().focusable) and not name:
            found.append(f"{describe(iface)} has no accessible name")
        if isinstance(obj, QLabel) and obj.text().strip() and obj.pixmap().isNull():
            value = _plain(obj.text())
            exposed = _plain(
                " ".join(iface.text(t) for t in (Text.Name, Text.Value, Text.Description))
            )
            if value and value not in exposed:
                found.append(f"{describe(iface)} shows {value[:60]!r} but exposes {exposed!r}")
        if role is Role.Table:  # its cells are the model's: the table's name is what counts
            return
        for n in range(iface.childCount()):
            child = iface.child(n)
            if child is not None and child.isValid():
                visit(child)

    iface = QAccessible.queryAccessibleInterface(root)
    assert iface is not None
    visit(iface)
    return found


def focusable_controls(root: QWidget) -> list[QWidget]:
    """The visible, enabled widgets under ``root`` that Tab should reach."""
    return [
        w
        for w in root.findChildren(QWidget)
        if w.isVisible()
        and w.isEnabled()
        and (w.focusPolicy() & Qt.FocusPolicy.TabFocus) == Qt.FocusPolicy.TabFocus
        and w.focusProxy() is None
        and w.window() is root.window()
    ]


def tab_walk(start: QWidget, limit: int = 200) -> list[QWidget]:
    """Press Tab from ``start`` until focus returns to it (or ``limit`` presses)."""
    start.setFocus(Qt.FocusReason.TabFocusReason)
    QApplication.processEvents()
    visited: list[QWidget] = [start]
    for _ in range(limit):
        current = QApplication.focusWidget()
        assert current is not None, "focus left the window"
        QTest.keyClick(current, Qt.Key.Key_Tab)
        QApplication.processEvents()
        focus = QApplication.focusWidget()
        assert focus is not None
        if focus is start:
            return visited
        visited.append(focus)
    return visited
