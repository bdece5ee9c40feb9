"""Filter (status category, search text) and sort (every column) over the jobs table model."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, QSortFilterProxyModel

from jobmonitor.ui.job_text import Category, category_of
from jobmonitor.ui.jobs_model import JobsTableModel, SortRole, StateRole


class JobsFilterProxy(QSortFilterProxyModel):
    """Rows whose category is selected (all when none is) and whose id, label or error code
    contains every word of the search text (case-insensitive)."""

    def __init__(self, source: JobsTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._source = source
        self._category: Category | None = None
        self._words: tuple[str, ...] = ()
        self.setSourceModel(source)
        self.setSortRole(SortRole)
        # filterAcceptsRow reads the job itself; a role that only polls change keeps the 1 s
        # countdown repaints (Display/ToolTip only) from re-filtering every row.
        self.setFilterRole(StateRole)
        self.setDynamicSortFilter(True)

    @property
    def category(self) -> Category | None:
        return self._category

    def set_category(self, category: Category | None) -> None:
        if category is self._category:
            return
        self._refilter(lambda: setattr(self, "_category", category))

    @property
    def search_text(self) -> str:
        return " ".join(self._words)

    def set_search_text(self, text: str) -> None:
        words = tuple(w for w in text.casefold().split() if w)
        if words == self._words:
            return
        self._refilter(lambda: setattr(self, "_words", words))

    def _refilter(self, change: Callable[[], None]) -> None:
        if hasattr(self, "beginFilterChange"):  # Qt 6.9+; invalidateRowsFilter is deprecated there
            self.beginFilterChange()
            change()
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            change()
            self.invalidateRowsFilter()

    def filterAcceptsRow(
        self,
        source_row: int,
        source_parent: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if source_parent.isValid():
            return False
        job = self._source.job_at(source_row)
        if self._category is not None and category_of(job.state) is not self._category:
            return False
        if self._words:
            haystack = f"{job.job_id} {job.label} {job.error_code or ''}".casefold()
            return all(word in haystack for word in self._words)
        return True

    def job_id_at(self, row: int) -> str:
        return self._source.job_at(self.mapToSource(self.index(row, 0)).row()).job_id
