"""What the window looked like last time: geometry, splitter, columns (widths, order, hidden), sort.

Qt's own ``saveState``/``saveGeometry`` blobs are kept in the settings (they are versioned by Qt
and restoring a foreign or damaged one just fails, leaving the defaults).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QByteArray
from PySide6.QtWidgets import QMainWindow, QSplitter, QTableView

STATE_VERSION = 1  # bump when the columns change meaning: old header states are then dropped
Load = Callable[[str], QByteArray | None]
Save = Callable[[str, QByteArray], None]


def restore(window: QMainWindow, splitter: QSplitter, table: QTableView, load: Load) -> None:
    geometry = load("geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)
    split = load("splitter")
    if split is not None and splitter.restoreState(split):
        keep = getattr(window, "keep_details_placement", None)
        if callable(keep):  # beside or below as left, not moved by the (clamped) width
            keep()
    header = table.horizontalHeader()
    columns = load(f"columns.v{STATE_VERSION}")
    if columns is not None and header.restoreState(columns):
        # The header knows the sort it showed; the model must be told to sort again.
        table.sortByColumn(header.sortIndicatorSection(), header.sortIndicatorOrder())
        restored = getattr(table, "columns_restored", None)
        if callable(restored):  # the view's own column menu and first fit follow the state
            restored()


def save(window: QMainWindow, splitter: QSplitter, table: QTableView, store: Save) -> None:
    store("geometry", window.saveGeometry())
    store("splitter", splitter.saveState())
    store(f"columns.v{STATE_VERSION}", table.horizontalHeader().saveState())
