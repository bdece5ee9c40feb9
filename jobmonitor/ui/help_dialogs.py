"""Help › About (versions, links) and Help › Keyboard shortcuts (read from the menus themselves)."""

from __future__ import annotations

import html
import platform
import re
import sys

import PySide6
from PySide6.QtCore import Qt, qVersion
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QMenu,
    QMenuBar,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jobmonitor import APP_NAME, DEFAULT_BASE_URL, __version__

# The provider documents the Status API at its own address; the app links to the API's home.
API_DOCS_URL = DEFAULT_BASE_URL

# Keys that are not menu items: how the add field, the table and the dialogs behave.
EXTRA_SHORTCUTS: tuple[tuple[str, str, str], ...] = (
    ("Add field", "Enter", "Add the ids typed or pasted"),
    ("Add field", "Shift+Enter", "New line in the add field"),
    ("Job list", "F2 or double-click", "Edit the label of the selected job (from any column)"),
    ("Job list", "Arrow keys", "Move between jobs (Tab moves on to the details)"),
    ("Job list", "Menu key or right click", "Commands for the selected jobs"),
    ("Job list header", "Right click", "Show or hide columns (also View › Columns)"),
    ("Filters", "Left / Right", "Move between the status filters"),
    ("Search field", "Esc", "Clear the search"),
    ("Everywhere", "Tab / Shift+Tab", "Move between the add field, filters, list and details"),
    ("Downloads panel", "Ctrl+Shift+L", "Clear finished downloads"),
)


_COUNT = re.compile(r" \(\d+\)$")


def about_html() -> str:
    python = f"{platform.python_implementation()} {sys.version.split()[0]}"
    link = html.escape(API_DOCS_URL)
    return (
        f"<h3>{html.escape(APP_NAME)} {html.escape(__version__)}</h3>"
        "<p>Watches the asynchronous jobs of the apidatatools Status API: live status, failure "
        "details for support, result previews and downloads.</p>"
        f"<p>Status API documentation: <a href='{link}'>{link}</a></p>"
        f"<p>Qt {html.escape(qVersion())} · PySide6 {html.escape(PySide6.__version__)} · "
        f"{html.escape(python)} · {html.escape(platform.system())}</p>"
        "<p>The API key is kept in the system keyring; it never appears in settings, logs, "
        "support reports or this window.</p>"
    )


def show_about(parent: QWidget) -> QMessageBox:
    box = QMessageBox(parent)
    box.setWindowTitle(f"About {APP_NAME}")
    box.setTextFormat(Qt.TextFormat.RichText)
    box.setText(about_html())
    box.setIconPixmap(parent.windowIcon().pixmap(64, 64))
    box.setStandardButtons(QMessageBox.StandardButton.Close)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    label = box.findChild(QLabel, "qt_msgbox_label")
    if isinstance(label, QLabel):
        label.setOpenExternalLinks(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        label.setMinimumWidth(440)
    box.open()
    return box


def menu_shortcuts(bar: QMenuBar) -> list[tuple[str, str, str]]:
    """(menu, keys, command) for every menu item that has a shortcut, in menu order."""
    rows: list[tuple[str, str, str]] = []

    def walk(menu_title: str, actions: list[QAction]) -> None:
        for action in actions:
            sub = action.menu()
            if isinstance(sub, QMenu):
                walk(menu_title, sub.actions())
                continue
            if action.isSeparator() or action.shortcut().isEmpty():
                continue
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            # "Failed (2)" in View: the count is the menu's, not the command's
            command = _COUNT.sub("", action.text().replace("&", ""))
            if action.isCheckable() and action.actionGroup() is not None:
                command = f"Show {command.lower()} jobs" if command != "All" else "Show all jobs"
            rows.append((menu_title, keys, command))

    for top in bar.actions():
        menu = top.menu()
        if isinstance(menu, QMenu):
            walk(top.text().replace("&", ""), menu.actions())
    return rows


class ShortcutsDialog(QDialog):
    """A table of every shortcut: the menus' (always current) and the few keys outside them."""

    def __init__(self, bar: QMenuBar, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Keyboard shortcuts — {APP_NAME}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        rows = menu_shortcuts(bar) + list(EXTRA_SHORTCUTS)
        self.table = QTableWidget(len(rows), 3, self)
        self.table.setHorizontalHeaderLabels(["Where", "Keys", "Command"])
        self.table.setAccessibleName("Keyboard shortcuts")
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                self.table.setItem(r, c, QTableWidgetItem(text))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(620, 560)

    def rows(self) -> list[tuple[str, str, str]]:
        def cell(r: int, c: int) -> str:
            item = self.table.item(r, c)
            return item.text() if item is not None else ""

        return [(cell(r, 0), cell(r, 1), cell(r, 2)) for r in range(self.table.rowCount())]
