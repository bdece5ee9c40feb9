"""What the window looked like last time: geometry, splitter, columns (widths, order, hidden), sort.

Qt's own ``saveState``/``saveGeometry`` blobs are kept in the settings (they are versioned by Qt
and restoring a foreign or damaged one just fails, leaving the defaults). The table's header gets
a context menu to hide and show columns, the one way to hide one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray, QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMainWindow, QMenu, QSplitter, QTableView

STATE_VERSION = 1  # bump when the columns change meaning: old header states are then dropped
Load = Callable[[str], QByteArray | None]
Save = Callable[[str, QByteArray], None]


def install_column_menu(table: QTableView) -> None:
    """Right-click on the header: a check box per column (the last visible one stays)."""
    header = table.horizontalHeader()
    header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)

    def show_menu(pos: QPoint) -> None:
        menu = QMenu(header)
        model = table.model()
        visible = [c for c in range(header.count()) if not header.isSectionHidden(c)]
        for column in range(header.count()):
            name = str(model.headerData(column, Qt.Orientation.Horizontal) or f"Column {column}")
            action = QAction(name, menu, checkable=True)
            action.setChecked(not header.isSectionHidden(column))
            action.setEnabled(not (len(visible) == 1 and column in visible))
            action.toggled.connect(lambda on, c=column: header.setSectionHidden(c, not on))
            menu.addAction(action)
        menu.popup(header.mapToGlobal(pos))

    header.customContextMenuRequested.connect(show_menu)


def restore(window: QMainWindow, splitter: QSplitter, table: QTableView, load: Load) -> None:
    geometry = load("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    split = load("splitter")
    if split is not None:
        splitter.restoreState(split)
    header = table.horizontalHeader()
    columns = load(f"columns.v{STATE_VERSION}")
    if columns is not None and header.restoreState(columns):
        # The header knows the sort it showed; the model must be told to sort again.
        table.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())


def save(window: QMainWindow, splitter: QSplitter, table: QTableView, store: Save) -> None:
    store("geometry", window.saveGeometry())
    store("splitter", splitter.saveState())
    store(f"columns.v{STATE_VERSION}", table.horizontalHeader().saveState())
