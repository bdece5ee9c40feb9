"""Filter (status category, search text) and sort (every column) over the jobs table model.

Written for 100,000 rows. ``QSortFilterProxyModel`` asks Python for every row on every change and
for two cells on every comparison of a sort: 12 s to sort 100,000 jobs, 0.1 s of re-filtering for
each one-second countdown repaint. Here a filter or sort is one pass in Python over the jobs,
sliced across event-loop turns (``SlicedPass``: a few ms each, so typing and scrolling go on),
then applied at once by ``ShownRows``, which also keeps the rows right as the list changes.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Generator, Iterator, Sequence
from itertools import compress
from operator import attrgetter

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.ui.job_text import Category, category_of
from jobmonitor.ui.jobs_model import JobsTableModel
from jobmonitor.ui.rows import filtered_rows, inverse_steps, sorted_rows
from jobmonitor.ui.search_text import narrows, rows_with
from jobmonitor.ui.shown_rows import ShownRows
from jobmonitor.ui.slices import SlicedPass

Index = QModelIndex | QPersistentModelIndex

SYNC_ROWS = 5_000  # a pass over fewer rows runs at once (a few ms)
RESORT_MS = 1_000  # how soon a sorted list catches up with changed and added rows
_STATE = attrgetter("state")


class JobsFilterProxy(ShownRows):
    """Rows whose category is selected (all when none is) and whose id, label or error code
    contains every word of the search text (case-insensitive), in the chosen column's order."""

    def __init__(self, source: JobsTableModel, parent: QObject | None = None) -> None:
        super().__init__(source, parent)
        self._category: Category | None = None
        self._states: frozenset[JobState] = frozenset()
        self._words: tuple[str, ...] = ()
        self._only: Callable[[WatchedJob], bool] | None = None  # e.g. "looks stuck"
        self._order = Qt.SortOrder.AscendingOrder
        self._computed: tuple[array[int], array[int] | None] = (array("i"), None)
        self.passes = SlicedPass(self)
        self._resort = QTimer(self, singleShot=True, interval=RESORT_MS)
        self._resort.timeout.connect(self._start_pass)

    # -- filter and sort settings ------------------------------------------------------------

    @property
    def category(self) -> Category | None:
        return self._category

    def set_category(self, category: Category | None) -> None:
        if category is self._category:
            return
        self._category = category
        self._states = frozenset(s for s in JobState if category_of(s) is category)
        self._start_pass()

    @property
    def only(self) -> Callable[[WatchedJob], bool] | None:
        return self._only

    def set_only(self, accepts: Callable[[WatchedJob], bool] | None) -> None:
        """Show only the jobs ``accepts`` takes (a chip that is no status category: Stuck);
        None shows all again. Set again to re-apply one whose answer changes with time."""
        if accepts is None and self._only is None:
            return
        self._only = accepts
        self._start_pass()

    @property
    def search_text(self) -> str:
        return " ".join(self._words)

    def set_search_text(self, text: str) -> None:
        words = tuple(w for w in text.casefold().split() if w)
        if words == self._words:
            return
        # A search that only narrows (another letter typed) picks from the rows shown, in their
        # order: no pass over the whole list, no sort. Only while they are exact: no pass under
        # way and no re-sort waiting to place (or drop) rows that polls changed.
        exact = not self.passes.running and not self._resort.isActive()
        narrow = exact and self._shown is not None and narrows(words, self._words)
        self._words = words
        self._start_pass(narrow=narrow)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self._column = column if 0 <= column < self._src.columnCount() else -1
        self._order = order
        self._start_pass()

    def sortColumn(self) -> int:
        return self._column

    def sortOrder(self) -> Qt.SortOrder:
        return self._order

    @property
    def busy(self) -> bool:
        """A filter or sort pass is under way (the rows shown are the previous ones)."""
        return self.passes.running

    def settle_now(self) -> None:
        """Finish a pass under way at once."""
        self.passes.finish_now()

    @property
    def _identity(self) -> bool:
        return self._unfiltered and self._column < 0

    @property
    def _unfiltered(self) -> bool:
        return self._category is None and not self._words and self._only is None

    def accepts(self, job: WatchedJob) -> bool:
        if self._category is not None and job.state not in self._states:
            return False
        if self._only is not None and not self._only(job):
            return False
        for word in self._words:
            if not (
                word in job.job_id
                or (job.label and word in job.label.casefold())
                or (job.error_code and word in job.error_code.casefold())
            ):
                return False
        return True

    # -- passes ------------------------------------------------------------------------------

    def _start_pass(self, *, narrow: bool = False) -> None:
        self._resort.stop()
        self._changed_in_pass.clear()
        if self._identity:
            self.passes.cancel()
            if self._shown is not None:
                self._apply(None, None)
            return
        self.passes.start(self._compute(narrow), self._apply_computed)
        if self._src.rowCount() <= SYNC_ROWS:
            self.passes.finish_now()

    def _compute(self, narrow: bool = False) -> Iterator[None]:
        """Filter, then sort, a snapshot of the rows; the result waits in ``_computed``.
        ``narrow``: filter the rows shown now (in their order, so sorted already) instead."""
        jobs = list(self._src.rows())
        n = len(jobs)
        base = self._shown if narrow else None
        if self._unfiltered:
            accepted = array("i", range(n))
        else:
            accepted = yield from self._filtered(jobs, range(n) if base is None else base)
        inverse = None
        if self._column >= 0:
            if base is None:
                keys_of = self._src.sort_keys_of(self._column)
                accepted = yield from sorted_rows(accepted, jobs, keys_of, self._descending)
            inverse = yield from inverse_steps(accepted, n)
        self._computed = (accepted, inverse)

    def _filtered(
        self, jobs: Sequence[WatchedJob], rows: Sequence[int]
    ) -> Generator[None, None, array[int]]:
        """``accepts`` over ``rows``: the category and the words in C (a few ms for 100,000
        rows: a Python call per job was 40-60 ms), what ``only`` takes a chunk per step."""
        if self._category is not None:
            in_category = map(self._states.__contains__, map(_STATE, map(jobs.__getitem__, rows)))
            rows = list(compress(rows, in_category))
        if self._words:
            rows = rows_with(self._words, self._src.haystacks(), rows)
        if self._only is not None:
            return (yield from filtered_rows(jobs, self._only, rows))
        return array("i", rows)

    def _compute_now(self) -> None:
        self.passes.cancel()
        self._changed_in_pass.clear()
        if self._identity:
            self._shown = self._inverse = None
            return
        for _ in self._compute():
            pass
        self._shown, self._inverse = self._computed

    def _apply_computed(self) -> None:
        self._apply(*self._computed)

    @property
    def _descending(self) -> bool:
        return self._order == Qt.SortOrder.DescendingOrder

    def _pass_running(self) -> bool:
        return self.passes.running

    def _restart_pass_if_running(self) -> None:
        if self.passes.running:  # its snapshot of the rows is stale
            self._start_pass()

    def _resort_soon(self) -> None:
        if not self._resort.isActive() and not self.passes.running:
            self._resort.start()
