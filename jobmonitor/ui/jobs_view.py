"""The watch-list table as a keyboard user meets it: Tab leaves it, the current row is always
the selected one, F2 edits the label from any column, and columns can be shown or hidden.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from PySide6.QtCore import (
    QItemSelectionModel,
    QItemSelectionRange,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
)
from PySide6.QtGui import QAction, QFontDatabase, QFontMetrics, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLineEdit,
    QMenu,
    QStyledItemDelegate,
    QTableView,
    QWidget,
)

from jobmonitor.core.state import JobState
from jobmonitor.ui import jobs_model as cols

# Hidden at first: the details show them for the selected job, and without them the columns
# that change (status, next check, result) fit a half-screen window.
HIDDEN_BY_DEFAULT = (cols.CREATED, cols.UPDATED, cols.LAST_CHECKED)
# Shown order (the model's stays as it is): the status right after the id, where even a narrow
# window shows it; then the label and the live columns; the API's created/updated times last.
_ORDER = (cols.ID, cols.STATUS, cols.LABEL, cols.NEXT_CHECK, cols.ERROR, cols.RESULT)
_SAMPLES = (  # widths before any row is there to measure: a typical value of each column
    (cols.LABEL, "Demo: started processing", 0),
    (cols.STATUS, JobState.PENDING.label, 22),  # the icon and its gap
    (cols.CREATED, "59 min ago", 0),
    (cols.UPDATED, "59 min ago", 0),
    (cols.LAST_CHECKED, "Last checked", 0),
    (cols.NEXT_CHECK, "after rate-limit pause", 8),
    (cols.ERROR, "JOB_NOT_FOUND", 0),
)
_FIT_ROWS = 200  # rows measured when fitting columns to their contents (a huge list stays fast)
_FIRST_FIT_ROWS = 50  # and when the first rows arrive (the rest of the list is landing meanwhile)
_MAX_FIT = 480  # a long result text or label is cut (tooltip) rather than widen the table
LET_GO_ROWS = 1_000  # a removal of more selected rows than this clears the selection first


class LabelDelegate(QStyledItemDelegate):
    """The label editor keeps what is being typed. Qt refills an open editor whenever its row
    changes, and polls change rows all the time: the typed text would be replaced by the saved
    label and the cursor sent to the end. Only a saved label that differs from an untouched
    editor's text (an undo, say) is filled in."""

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, QLineEdit) and (
            editor.isModified() or editor.text() == index.data(Qt.ItemDataRole.EditRole)
        ):
            return  # the person's typing, or the same text: leave text, cursor and selection
        super().setEditorData(editor, index)


class JobsTableView(QTableView):
    """A row-selecting table of ``JobsFilterProxy`` rows; ``column_actions`` for the menus."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Watched jobs")
        self.setTabKeyNavigation(False)  # Tab moves on to the details; arrows move inside
        self.setSortingEnabled(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
        )
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self._last_row = 0
        self._next_row: int | None = None  # where the current row was, when it was removed
        self._fitted = False
        self._widths_restored = False  # the last session's widths: no first fit over them
        self._sample_width: dict[int, int] = {}
        self.column_actions: dict[int, QAction] = {}
        self.setItemDelegateForColumn(cols.LABEL, LabelDelegate(self))

    def setModel(self, model: object) -> None:
        super().setModel(model)  # type: ignore[arg-type]
        self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # list order until a header click
        header = self.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setResizeContentsPrecision(_FIT_ROWS)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._header_menu)
        self._size_from_samples()
        for place, column in enumerate(_ORDER):
            header.moveSection(header.visualIndex(column), place)
        for column in HIDDEN_BY_DEFAULT:
            header.hideSection(column)
        self._build_column_actions()
        proxy = self.model()
        proxy.rowsRemoved.connect(self._sync_soon)
        proxy.layoutChanged.connect(self._sync_soon)
        proxy.modelReset.connect(self._sync_soon)
        proxy.rowsInserted.connect(self._fit_once)
        proxy.rowsInserted.connect(self._sync_soon)  # rows back after a search is cleared
        self.selectionModel().currentRowChanged.connect(self._remember_row)

    # -- columns -----------------------------------------------------------------------------

    def _size_from_samples(self) -> None:
        header = self.horizontalHeader()
        mono = QFontMetrics(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._sample_width = {cols.ID: mono.horizontalAdvance("0" * 36) + 16}
        text = self.fontMetrics()
        for column, sample, extra in _SAMPLES:
            self._sample_width[column] = text.horizontalAdvance(sample) + 24 + extra
        for column, width in self._sample_width.items():
            header.resizeSection(column, width)

    def fit_columns(self) -> None:
        """Each shown column as wide as its contents (and its title), up to a limit; never
        narrower than a typical value (the first rows, still waiting, have no error code)."""
        for column in range(self.horizontalHeader().count()):
            self._fit_column(column)

    def _fit_column(self, column: int) -> None:
        header = self.horizontalHeader()
        if header.isSectionHidden(column):
            return
        self.resizeColumnToContents(column)
        width = max(header.sectionSize(column), self._sample_width.get(column, 0))
        header.resizeSection(column, min(width, _MAX_FIT))

    def _fit_once(self) -> None:
        """The first rows shown size the columns to what they hold."""
        if not self._fitted and self.model().rowCount() > 0:
            self._fitted = True
            QTimer.singleShot(0, self, self._first_fit)

    def _first_fit(self, column: int = 0) -> None:
        """One column per event-loop turn, from its first rows: all at once, the delegate's
        size of every cell of 200 rows held the loop 50-150 ms as a big paste began to land."""
        header = self.horizontalHeader()
        if self._widths_restored or column >= header.count():
            return
        precision = header.resizeContentsPrecision()
        header.setResizeContentsPrecision(_FIRST_FIT_ROWS)
        try:
            self._fit_column(column)
        finally:
            header.setResizeContentsPrecision(precision)
        QTimer.singleShot(0, self, lambda: self._first_fit(column + 1))

    def _build_column_actions(self) -> None:
        header = self.horizontalHeader()
        for column, title in enumerate(cols.HEADERS):
            if column == cols.ID:
                continue  # the id is what a row is: always shown
            action = QAction(title, self)
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.setObjectName(f"column_{column}")
            action.toggled.connect(lambda on, c=column: self.set_column_shown(c, on))
            self.column_actions[column] = action
        self.fit_action = QAction("&Fit columns to contents", self)
        self.fit_action.triggered.connect(self.fit_columns)

    def set_column_shown(self, column: int, shown: bool) -> None:
        header = self.horizontalHeader()
        header.setSectionHidden(column, not shown)
        if shown:
            self.resizeColumnToContents(column)
        action = self.column_actions.get(column)
        if action is not None and action.isChecked() != shown:
            action.setChecked(shown)

    def columns_restored(self) -> None:
        """The header's state came back from the last session: its widths stay (no first fit)
        and the column menu shows what is hidden."""
        self._fitted = self._widths_restored = True
        header = self.horizontalHeader()
        for column, action in self.column_actions.items():
            action.blockSignals(True)  # mirror only: toggled would resize the column
            action.setChecked(not header.isSectionHidden(column))
            action.blockSignals(False)

    def fill_column_menu(self, menu: QMenu) -> QMenu:
        """Show/hide per column (in header order), then Fit: the header's menu and View's."""
        header = self.horizontalHeader()
        for visual in range(header.count()):
            action = self.column_actions.get(header.logicalIndex(visual))
            if action is not None:
                menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.fit_action)
        return menu

    def _header_menu(self, pos: QPoint) -> None:
        menu = self.fill_column_menu(QMenu("Columns", self))
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.horizontalHeader().mapToGlobal(pos))

    # -- keyboard and selection ---------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_F2 and self.state() != QAbstractItemView.State.EditingState:
            self.edit_label()
            return
        super().keyPressEvent(event)

    def edit_label(self) -> bool:
        """Edit the current job's label, whichever column is current (F2)."""
        current = self.currentIndex()
        if not current.isValid():
            return False
        if self.horizontalHeader().isSectionHidden(cols.LABEL):
            self.set_column_shown(cols.LABEL, True)
        index = current.siblingAtColumn(cols.LABEL)
        self.scrollTo(index)
        self.setCurrentIndex(index)
        self.edit(index)
        return self.state() == QAbstractItemView.State.EditingState

    def selected_rows(self) -> list[int]:
        """The selected rows, ascending. By ranges: selectedRows() asks isRowSelected() of
        every row, which looks through every range (50,000 scattered rows: minutes)."""
        rows: list[int] = []
        spans = cast(Iterable[QItemSelectionRange], self.selectionModel().selection())
        for span in spans:  # iterated (a QList in Python): at(i) was 3-4x slower
            top, bottom = span.top(), span.bottom()
            if top == bottom:
                rows.append(top)
            else:
                rows.extend(range(top, bottom + 1))
        return sorted(set(rows))  # (ranges of cells may share rows)

    def let_go_of_selection(self, removing: int) -> None:
        """The selected rows are about to be removed. A selection of thousands of scattered rows
        holds two persistent indexes per row, each moved by hand in the removal's layout change
        (seconds at 50,000): it is let go of first. A few selected rows just follow their jobs."""
        if removing > LET_GO_ROWS:
            self.selectionModel().clearSelection()

    def _remember_row(self, current: QModelIndex) -> None:
        if current.isValid():
            self._last_row = current.row()

    def rowsAboutToBeRemoved(
        self, parent: QModelIndex | QPersistentModelIndex, first: int, last: int
    ) -> None:
        # Called before the selection model moves the current row (to the one above): a list
        # moves on to the next one instead, as a mail client does.
        current = self.currentIndex()
        if current.isValid() and first <= current.row() <= last:
            self._next_row = first if self._next_row is None else min(self._next_row, first)
        super().rowsAboutToBeRemoved(parent, first, last)

    def _sync_soon(self) -> None:
        # After the selection model has caught up with the removal or the new filter.
        QTimer.singleShot(0, self, self.sync_selection)

    def sync_selection(self) -> None:
        """The current row is selected, and what is selected holds the current row: a Delete or
        a filter never leaves the details on one job while the actions see none."""
        model, selection = self.model(), self.selectionModel()
        if model is None or model.rowCount() == 0:
            return
        current = self.currentIndex()
        flags = QItemSelectionModel.SelectionFlag
        # Not selectedRows(): it looks through every range for every row (see selected_rows).
        ranges = selection.selection()
        selected = not ranges.isEmpty()
        if self._next_row is not None and not selected:
            current = model.index(min(self._next_row, model.rowCount() - 1), 0)
        self._next_row = None
        if selected:
            if not current.isValid() or not selection.isRowSelected(current.row(), QModelIndex()):
                first = min(ranges.at(i).top() for i in range(ranges.size()))
                selection.setCurrentIndex(model.index(first, 0), flags.NoUpdate)
            return
        if not current.isValid():
            current = model.index(min(self._last_row, model.rowCount() - 1), 0)
        selection.setCurrentIndex(current, flags.ClearAndSelect | flags.Rows)
        self.scrollTo(current)
