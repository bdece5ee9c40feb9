"""Small pieces the details panel's sections share: selectable labels and read-only code views."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFormLayout, QLabel, QPlainTextEdit

from jobmonitor.ui.a11y import ValueLabel


def pretty(text: str) -> str:
    """JSON indented when the text parses as JSON; anything else as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


def selectable(text: str = "", *, mono: bool = False, caption: str = "") -> QLabel:
    label = ValueLabel(caption, text) if caption else QLabel(text)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if mono:
        label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return label


def code_view(name: str) -> QPlainTextEdit:
    view = QPlainTextEdit()
    view.setReadOnly(True)
    view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    view.setAccessibleName(name)
    view.setMinimumHeight(90)
    return view


def clear_form(form: QFormLayout) -> None:
    while form.rowCount():
        form.removeRow(0)
