"""A table of a chosen subset and order of the jobs model's rows that follows the model's changes.

The shown rows are one array of source rows (``None`` when they are the source's own, the usual
case and every burst of adds: then each source signal is passed on as it is). Filtering and
sorting themselves (what to show, in which order) are ``JobsFilterProxy``'s; this class keeps the
mapping right through inserts, removals and changes, and applies a new mapping in one layout
change in which selection, current row and an open editor follow their jobs.

- while sorted, rows that change or arrive keep their place (new ones at the end) until the
  re-sort the subclass runs a moment later: the sort is not dynamic while a burst lands;
- a source change of many scattered runs (Delete of 50,000 selected rows, its undo) arrives
  between ``bulk_started`` and ``bulk_finished`` and is applied as one layout change.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from operator import attrgetter
from typing import Any, cast

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.ui.jobs_model import (
    CELL_FLAGS,
    ID,
    LABEL,
    LABEL_FLAGS,
    JobsTableModel,
    StateRole,
)
from jobmonitor.ui.rows import inverse_of, runs

Index = QModelIndex | QPersistentModelIndex
# Rows move, columns stay: selection models then keep one persistent index per selected row
# instead of asking flags() of every selected cell (9 calls into Python per row).
_ROWS_ONLY = QAbstractItemModel.LayoutChangeHint.VerticalSortHint
_HINTED = ("QList<QPersistentModelIndex>", "QAbstractItemModel::LayoutChangeHint")  # the overload
Saved = list[tuple[QModelIndex, str | None, int]]  # persistent index, its job, its column
_JOB_ID = attrgetter("job_id")


class ShownRows(QAbstractTableModel):
    """Rows of ``source`` by ``_shown``; subclasses say which (``accepts``) and re-sort."""

    settled = Signal()  # a new mapping was applied (benchmarks and tests wait for it)

    def __init__(self, source: JobsTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._src = source
        self._column = -1  # the sort column (-1: list order)
        self._shown: array[int] | None = None  # proxy row -> source row; None: the same
        self._inverse: array[int] | None = None  # source row -> proxy row (-1: hidden)
        self._bulk_saved: Saved | None = None
        self._changed_in_pass: set[str] = set()  # job ids changed while a pass was running
        s = source
        s.rowsAboutToBeInserted.connect(self._before_insert)
        s.rowsInserted.connect(self._inserted)
        s.rowsAboutToBeRemoved.connect(self._before_remove)
        s.rowsRemoved.connect(self._removed)
        s.dataChanged.connect(self._data_changed)
        s.headerDataChanged.connect(self.headerDataChanged)
        s.modelAboutToBeReset.connect(self._before_reset)
        s.modelReset.connect(self._source_reset)
        s.bulk_started.connect(self._bulk_start)
        s.bulk_finished.connect(self._bulk_end)

    # -- what the subclass decides -------------------------------------------------------------

    def accepts(self, job: WatchedJob) -> bool:
        return True

    def _pass_running(self) -> bool:
        return False

    def _restart_pass_if_running(self) -> None:
        """The rows changed under a pass: its snapshot is stale."""

    def _resort_soon(self) -> None:
        """Rows changed or arrived while sorted: put them in place a moment from now."""

    def _compute_now(self) -> None:
        """Set ``_shown`` and ``_inverse`` for the current rows at once (after a bulk change)."""
        self._shown = self._inverse = None

    # -- Qt model API ----------------------------------------------------------------------------

    def sourceModel(self) -> JobsTableModel:
        return self._src

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if parent.isValid():
            return 0
        return self._src.rowCount() if self._shown is None else len(self._shown)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._src.columnCount()

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            return self._src.headerData(section, orientation, role)
        return section + 1 if role == Qt.ItemDataRole.DisplayRole else None

    def _source_row(self, row: int) -> int:
        shown = self._shown
        return row if shown is None else shown[row]

    def mapToSource(self, index: Index) -> QModelIndex:
        if not index.isValid() or index.row() >= self.rowCount():
            return QModelIndex()
        return self._src.index(self._source_row(index.row()), index.column())

    def mapFromSource(self, index: Index) -> QModelIndex:
        if not index.isValid():
            return QModelIndex()
        row = self._proxy_row(index.row())
        return self.index(row, index.column()) if row >= 0 else QModelIndex()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        row = index.row()  # -1 for an invalid index
        shown = self._shown
        if shown is not None:
            if not 0 <= row < len(shown):
                return None
            row = shown[row]
        return self._src.cell(row, index.column(), role)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return LABEL_FLAGS if index.column() == LABEL else CELL_FLAGS

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        return self._src.setData(self.mapToSource(index), value, role)

    def job_id_at(self, row: int) -> str:
        return self._src.job_at(self._source_row(row)).job_id

    def job_ids_at(self, rows: Sequence[int]) -> list[str]:
        """The ids of the jobs at these shown rows (50,000 selected: in C, not a call each)."""
        if self._shown is not None:
            rows = list(map(self._shown.__getitem__, rows))
        return list(map(_JOB_ID, map(self._src.rows().__getitem__, rows)))

    def job_ids(self) -> list[str]:
        """The shown jobs' ids, in shown order."""
        return [j.job_id for j in self.jobs()]

    def jobs(self) -> list[WatchedJob]:
        """The shown jobs, in shown order (a copy made in C: 100,000 rows in a millisecond)."""
        jobs = self._src.rows()
        if self._shown is None:
            return list(jobs)
        return list(map(jobs.__getitem__, self._shown))

    # -- mapping -------------------------------------------------------------------------------

    def _proxy_row(self, source_row: int) -> int:
        shown = self._shown
        if shown is None:
            return source_row
        if self._column < 0:  # list order: shown is ascending
            at = bisect_left(shown, source_row)
            return at if at < len(shown) and shown[at] == source_row else -1
        return self._inverse_map()[source_row]

    def _inverse_map(self) -> array[int]:
        inverse = self._inverse
        if inverse is None or len(inverse) != self._src.rowCount():
            assert self._shown is not None
            inverse = inverse_of(self._shown, self._src.rowCount())
            self._inverse = inverse
        return inverse

    def _apply(self, shown: array[int] | None, inverse: array[int] | None) -> None:
        """Show ``shown`` in one layout change; persistent indexes (selection, current row,
        an open editor) follow their jobs, or become invalid if their job is filtered out."""
        self._begin_layout()
        saved = self._save_persistent()
        self._shown, self._inverse = shown, inverse
        self._restore_persistent(saved)
        self._end_layout()
        changed, self._changed_in_pass = self._changed_in_pass, set()
        if changed:  # answers that came while the pass ran: place them as a poll would
            rows = [r for r in map(self._src.row_of, changed) if r is not None]
            for row in sorted(rows):
                self._row_changed(row)
        self.settled.emit()

    def _save_persistent(self) -> Saved:
        jobs, shown, n = self._src.rows(), self._shown, self.rowCount()
        saved: Saved = []
        for index in self.persistentIndexList():
            row = index.row()
            if 0 <= row < n:
                saved.append(
                    (index, jobs[row if shown is None else shown[row]].job_id, index.column())
                )
            else:
                saved.append((index, None, index.column()))
        return saved

    def _restore_persistent(self, saved: Sequence[tuple[QModelIndex, str | None, int]]) -> None:
        if not saved:
            return
        old, new = [], []
        for index, job_id, column in saved:
            source_row = self._src.row_of(job_id) if job_id is not None else None
            row = self._proxy_row(source_row) if source_row is not None else -1
            old.append(index)
            new.append(self.createIndex(row, column) if row >= 0 else QModelIndex())
        self.changePersistentIndexList(old, new)

    def _begin_layout(self) -> None:
        cast(Any, self.layoutAboutToBeChanged)[_HINTED].emit([], _ROWS_ONLY)

    def _end_layout(self) -> None:
        cast(Any, self.layoutChanged)[_HINTED].emit([], _ROWS_ONLY)

    # -- source changes --------------------------------------------------------------------------

    def _before_insert(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._bulk_saved is None and self._shown is None:
            self.beginInsertRows(QModelIndex(), first, last)

    def _inserted(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._bulk_saved is not None:
            return
        shown = self._shown
        if shown is None:
            self.endInsertRows()
            self._restart_pass_if_running()
            return
        count = last - first + 1
        appended = first == self._src.rowCount() - count
        if not appended:
            self._shown = shown = array("i", (r + count if r >= first else r for r in shown))
            self._inverse = None
        jobs = self._src.rows()
        new = array("i", (r for r in range(first, last + 1) if self.accepts(jobs[r])))
        sorted_ = self._column >= 0
        at = len(shown) if sorted_ else bisect_left(shown, first)
        if new:
            self.beginInsertRows(QModelIndex(), at, at + len(new) - 1)
            shown[at:at] = new
            self.endInsertRows()
        if sorted_:
            if self._inverse is not None:  # appended at the end: the rest keep their rows
                self._inverse.extend(array("i", [-1]) * count)
                for offset, row in enumerate(new):
                    self._inverse[row] = at + offset
            if new:
                self._resort_soon()
        self._restart_pass_if_running()

    def _before_remove(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._bulk_saved is not None:
            return
        shown = self._shown
        if shown is None:
            self.beginRemoveRows(QModelIndex(), first, last)
            return
        if self._column < 0:  # ascending: the removed rows are one run
            lo, hi = bisect_left(shown, first), bisect_right(shown, last)
            spans = [(lo, hi - 1)] if lo < hi else []
        else:
            spans = runs(sorted(p for p, r in enumerate(shown) if first <= r <= last))
        for lo, hi in reversed(spans):
            self.beginRemoveRows(QModelIndex(), lo, hi)
            del shown[lo : hi + 1]
            self.endRemoveRows()

    def _removed(self, parent: QModelIndex, first: int, last: int) -> None:
        if self._bulk_saved is not None:
            return
        shown = self._shown
        if shown is None:
            self.endRemoveRows()
        else:
            count = last - first + 1
            if last < self._src.rowCount() + count - 1:  # rows after the removed ones moved up
                self._shown = array("i", (r - count if r > last else r for r in shown))
            self._inverse = None
        self._restart_pass_if_running()

    def _data_changed(self, top_left: QModelIndex, bottom_right: QModelIndex, roles: Any) -> None:
        if self._bulk_saved is not None:
            return
        first, last = top_left.row(), bottom_right.row()
        if self._shown is None:
            self.dataChanged.emit(
                self.index(first, top_left.column()),
                self.index(last, bottom_right.column()),
                roles,
            )
            return
        if roles and StateRole not in roles:  # a repaint of live columns: the job is the same
            self.dataChanged.emit(
                self.index(0, top_left.column()),
                self.index(self.rowCount() - 1, bottom_right.column()),
                roles,
            )
            return
        if self._pass_running():
            jobs = self._src.rows()
            self._changed_in_pass.update(jobs[r].job_id for r in range(first, last + 1))
        for row in range(first, last + 1):
            self._row_changed(row)

    def _row_changed(self, source_row: int) -> None:
        """A job changed: show its new cells, or add or drop it when the filter says so."""
        shown = self._shown
        assert shown is not None
        keep = self.accepts(self._src.job_at(source_row))
        row = self._proxy_row(source_row)
        last_column = self.columnCount() - 1
        if self._column >= 0:  # sorted: placement waits for the re-sort
            if row >= 0:
                self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))
            if (row >= 0) != keep or self._column != ID:  # a poll may move it
                self._resort_soon()
            return
        if row >= 0 and keep:
            self.dataChanged.emit(self.index(row, 0), self.index(row, last_column))
        elif row >= 0:
            self.beginRemoveRows(QModelIndex(), row, row)
            del shown[row]
            self.endRemoveRows()
        elif keep:
            at = bisect_left(shown, source_row)
            self.beginInsertRows(QModelIndex(), at, at)
            shown.insert(at, source_row)
            self.endInsertRows()

    def _bulk_start(self) -> None:
        self._begin_layout()
        self._bulk_saved = self._save_persistent()

    def _bulk_end(self) -> None:
        saved, self._bulk_saved = self._bulk_saved, None
        if self._shown is not None:  # rebuilt at once: this is a user's Delete or its undo
            self._compute_now()
        self._restore_persistent(saved or [])
        self._end_layout()
        self.settled.emit()

    def _before_reset(self) -> None:
        if self._bulk_saved is None:  # a bulk change is shown as a layout change instead
            self.beginResetModel()

    def _source_reset(self) -> None:
        if self._bulk_saved is None:
            self._compute_now()
            self.endResetModel()
