"""The watch list as a Qt table model, updated row by row as saved changes arrive (never reset)."""

from __future__ import annotations

import bisect
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from itertools import compress
from operator import attrgetter, not_
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QIcon

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui.job_cells import CREATED as CREATED
from jobmonitor.ui.job_cells import ERROR as ERROR
from jobmonitor.ui.job_cells import HEADERS as HEADERS
from jobmonitor.ui.job_cells import ID as ID
from jobmonitor.ui.job_cells import LABEL as LABEL
from jobmonitor.ui.job_cells import LAST_CHECKED as LAST_CHECKED
from jobmonitor.ui.job_cells import NEXT_CHECK as NEXT_CHECK
from jobmonitor.ui.job_cells import RESULT as RESULT
from jobmonitor.ui.job_cells import ROLES, CellText
from jobmonitor.ui.job_cells import STATUS as STATUS
from jobmonitor.ui.job_cells import UPDATED as UPDATED
from jobmonitor.ui.job_cells import JobIdRole as JobIdRole
from jobmonitor.ui.job_cells import JobRole as JobRole
from jobmonitor.ui.job_cells import SortRole as SortRole
from jobmonitor.ui.job_cells import StateRole as StateRole
from jobmonitor.ui.job_text import Category as Category
from jobmonitor.ui.job_text import category_of
from jobmonitor.ui.next_check import NextCheckColumn, PollInfo
from jobmonitor.ui.rows import run_starts_desc, scattered
from jobmonitor.ui.search_text import Haystacks

Index = QModelIndex | QPersistentModelIndex

CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
LABEL_FLAGS = CELL_FLAGS | Qt.ItemFlag.ItemIsEditable
INSERT_BATCH = 2_000  # rows added to the table at a time while a big add lands (1-4 ms)
INSERT_TURN = 0.005  # seconds of such batches per event-loop turn (a restored 100,000: 50 turns)
BULK_RUNS = 32  # more runs of rows than this in one change: one reset, not one signal per run
# Saved changes reach the views at most once a frame: a burst of answers (a write batch per
# event-loop turn, several turns a frame) is one pass, one signal per run of rows, one recount.
FRAME_MS = 16

_JOB_ID = attrgetter("job_id")
_POSITION = attrgetter("position")
_STATE = attrgetter("state")


class JobsTableModel(QAbstractTableModel):
    """Rows are watched jobs in list order; columns are the named constants above."""

    counts_changed = Signal()  # counts (per category) and state_counts (per state) moved
    # Around a change of many scattered rows (Delete of thousands of selected rows, its undo),
    # made as one model reset: the proxy turns it into one layout change that keeps selection.
    bulk_started = Signal()
    bulk_finished = Signal()

    def __init__(
        self,
        watchlist: WatchList,
        *,
        next_due: Callable[[str], float | None] = lambda _job_id: None,
        polling: PollInfo | None = None,
        icon_for: Callable[[JobState], QIcon] | None = None,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._watchlist = watchlist
        # With the scheduler's state at hand, a due job says what it waits for (paused, budget…).
        self._next_check = NextCheckColumn(polling, clock) if polling is not None else None
        self._next_due = polling.next_due if polling is not None else next_due
        self._clock = clock
        many = polling.next_due_many if polling is not None else None
        self._cells = CellText(self._next_check, self._next_due, clock, icon_for, many)
        self._rows: list[WatchedJob] = []
        self._positions: list[int] = []
        self._row_of: dict[str, int] = {}
        self._hays = Haystacks()  # what a search looks in, per row
        self.counts: Counter[Category] = Counter()
        self.state_counts: Counter[JobState] = Counter()
        # A big add lands a batch of rows per event-loop turn, so the window keeps painting:
        # saved jobs waiting in order, and what changed of them (None: removed) meanwhile. No
        # dict of them all: building one for a restored 100,000 held the loop 70-90 ms.
        self._incoming: deque[WatchedJob] = deque()
        self._newer: dict[str, WatchedJob | None] = {}
        self._incoming_timer = QTimer(self, singleShot=True, interval=0)
        self._incoming_timer.timeout.connect(self._take_incoming)
        watchlist.jobs_added.connect(self._queue_added)
        self._changed: dict[str, WatchedJob] = {}  # saved, waiting for the next frame
        self._frame = QTimer(self, singleShot=True, interval=FRAME_MS)
        self._frame.timeout.connect(self._next_frame)
        watchlist.jobs_changed.connect(self._on_changed)
        watchlist.jobs_removed.connect(self._on_removed)
        self._ticks = 0
        self._timer = QTimer(self, interval=1000)
        self._timer.timeout.connect(self._tick)
        self._timer.start()

    # -- Qt model API ----------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's own signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(HEADERS):
            if role == Qt.ItemDataRole.DisplayRole:
                return HEADERS[section]
            if role == Qt.ItemDataRole.ToolTipRole and section == NEXT_CHECK:
                return "When the job will be asked about next (counts down live)"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        # Selection models ask this of every selected cell: flags computed once, not per call.
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return LABEL_FLAGS if index.column() == LABEL else CELL_FLAGS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self.cell(index.row(), index.column(), role)

    def cell(self, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """``data()`` without a model index (the proxy asks for every cell it shows)."""
        if role not in ROLES or not 0 <= row < len(self._rows):
            return None
        return self._cells.data(self._rows[row], column, role)

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != LABEL or role != Qt.ItemDataRole.EditRole:
            return False
        self._watchlist.set_label(self._rows[index.row()].job_id, str(value or ""))
        return True  # the row repaints when the saved change comes back

    # -- access for views and the proxy ----------------------------------------------------

    def job_at(self, row: int) -> WatchedJob:
        return self._rows[row]

    def rows(self) -> Sequence[WatchedJob]:
        """Every row's job, in row order (the live list: read it, do not keep it)."""
        return self._rows

    def sort_keys_of(self, column: int) -> Callable[[Sequence[WatchedJob]], list[Any]]:
        """What ``SortRole`` gives for a column, as a function of a chunk of jobs."""
        return self._cells.sort_keys(column)

    def haystacks(self) -> list[str]:
        """Per row, the text a search looks in (the live list: read it, do not keep it)."""
        return self._hays.of(self._rows)

    def row_of(self, job_id: str) -> int | None:
        return self._row_of.get(job_id)

    def job_ids(self) -> list[str]:
        return [j.job_id for j in self._rows]

    # -- incremental updates ---------------------------------------------------------------

    def _reindex(self, start: int = 0) -> None:
        rows = self._rows[start:]
        self._row_of.update(zip(map(_JOB_ID, rows), range(start, start + len(rows)), strict=True))

    def _queue_added(self, jobs: Sequence[WatchedJob]) -> None:
        inside = bool(jobs) and bool(self._positions) and jobs[0].position < self._positions[-1]
        if not self._incoming and (len(jobs) <= INSERT_BATCH or inside):
            self._on_added(jobs)  # small, or an undo putting rows back between others: at once
            return
        self._incoming.extend(jobs)
        if not self._incoming_timer.isActive():
            self._incoming_timer.start()

    def _take_incoming(self) -> None:
        deadline = time.perf_counter() + INSERT_TURN
        take = self._incoming.popleft
        while self._incoming:
            self._on_added(self._latest([take() for _ in range(min(INSERT_BATCH, self.incoming))]))
            if time.perf_counter() >= deadline:
                self._incoming_timer.start()
                return

    def _latest(self, jobs: list[WatchedJob]) -> list[WatchedJob]:
        """Waiting jobs as they are now: changed since they were queued, or removed."""
        newer = self._newer
        if newer:
            found = (newer.pop(j.job_id, j) for j in jobs)
            jobs = [j for j in found if j is not None]
            if not self._incoming:
                newer.clear()
        return jobs

    @property
    def incoming(self) -> int:
        """Saved jobs not yet in the table (a big add lands a batch per turn)."""
        return len(self._incoming)

    def show_incoming_now(self) -> None:
        """Put every saved job in the table at once (the restored list, before the window shows)."""
        self._incoming_timer.stop()
        jobs = list(self._incoming)
        self._incoming.clear()
        self._on_added(self._latest(jobs))

    def _on_added(self, jobs: Sequence[WatchedJob]) -> None:
        # (in C: an undo of a Delete of 50,000 brings them all back in one call)
        shown = map(self._row_of.__contains__, map(_JOB_ID, jobs))
        fresh = sorted(compress(jobs, map(not_, shown)), key=_POSITION)
        if not fresh:
            return
        inside = bool(self._positions) and fresh[0].position < self._positions[-1]
        if not inside:  # after every row (an add, a restored list): one block at the end
            at = len(self._rows)
            self.beginInsertRows(QModelIndex(), at, at + len(fresh) - 1)
            self._rows.extend(fresh)
            self._positions.extend(map(_POSITION, fresh))
            self.endInsertRows()
            self._reindex(at)
            self._count(fresh, 1)
            return
        if scattered(self._positions, list(map(_POSITION, fresh)), BULK_RUNS):
            self._bulk(sorted(self._rows + fresh, key=_POSITION))  # a linear merge
            self._count(fresh, 1)
            return
        first_changed = len(self._rows)
        i = 0
        while i < len(fresh):
            at = bisect.bisect_left(self._positions, fresh[i].position)
            j = i + 1  # a run of new jobs that all land at the same row
            while j < len(fresh) and bisect.bisect_left(self._positions, fresh[j].position) == at:
                j += 1
            block = fresh[i:j]
            self.beginInsertRows(QModelIndex(), at, at + len(block) - 1)
            self._rows[at:at] = block
            self._positions[at:at] = [b.position for b in block]
            self._hays.inserted(at, block)
            self.endInsertRows()
            first_changed = min(first_changed, at)
            i = j
        self._reindex(first_changed)
        self._count(fresh, 1)

    def _count(self, jobs: Sequence[WatchedJob], sign: int) -> None:
        for state, n in Counter(map(_STATE, jobs)).items():
            self.state_counts[state] += sign * n
            self.counts[category_of(state)] += sign * n
        self.counts_changed.emit()

    def _bulk(self, rows: list[WatchedJob]) -> None:
        """Many scattered rows in or out: one reset here, one layout change in the proxy."""
        self.bulk_started.emit()
        self.beginResetModel()
        self._rows = rows
        self._positions = list(map(_POSITION, rows))
        self._hays.reset()
        self._row_of = dict(zip(map(_JOB_ID, rows), range(len(rows)), strict=True))
        self.endResetModel()
        self.bulk_finished.emit()

    def _on_removed(self, job_ids: Sequence[str]) -> None:
        if self._changed:
            for job_id in job_ids:
                self._changed.pop(job_id, None)
        if self._incoming:  # those still waiting are dropped when their turn comes
            self._newer.update((j, None) for j in job_ids if j not in self._row_of)
        row_of = self._row_of
        rows = sorted(
            set(map(row_of.__getitem__, filter(row_of.__contains__, job_ids))), reverse=True
        )
        if not rows:
            return
        if len(rows) > BULK_RUNS and len(run_starts_desc(rows)) > BULK_RUNS:
            # Passes in C: a Delete of 50,000 selected rows held the window for these.
            gone = list(map(self._rows.__getitem__, rows))
            if self._next_check is not None:
                self._next_check.forget_many(map(_JOB_ID, gone))
            kept = bytearray(b"\x01") * len(self._rows)
            for row in rows:
                kept[row] = 0
            self._bulk(list(compress(self._rows, kept)))
            self._count(gone, -1)
            return
        i = 0
        while i < len(rows):  # remove runs of adjacent rows, bottom first
            last = rows[i]
            first = last
            while i + 1 < len(rows) and rows[i + 1] == first - 1:
                i += 1
                first = rows[i]
            self.beginRemoveRows(QModelIndex(), first, last)
            for row in range(first, last + 1):
                job = self._rows[row]
                del self._row_of[job.job_id]
                if self._next_check is not None:
                    self._next_check.forget(job.job_id)
                self.counts[category_of(job.state)] -= 1
                self.state_counts[job.state] -= 1
            del self._rows[first : last + 1]
            del self._positions[first : last + 1]
            self._hays.removed(first, last)
            self.endRemoveRows()
            i += 1
        self._reindex(rows[-1])
        self.counts_changed.emit()

    def _on_changed(self, jobs: Sequence[WatchedJob]) -> None:
        """Changes of a quiet moment are shown at once; more within the frame, at its end."""
        self._changed.update((job.job_id, job) for job in jobs)
        if not self._frame.isActive():
            self._apply_changes()
            self._frame.start()

    def _next_frame(self) -> None:
        if self._changed:
            self._apply_changes()
            self._frame.start()

    def show_changes_now(self) -> None:
        """Show at once the saved changes waiting for the frame's end."""
        self._apply_changes()

    def _apply_changes(self) -> None:
        jobs, self._changed = list(self._changed.values()), {}
        rows: list[int] = []
        counts_moved = False
        for job in jobs:
            row = self._row_of.get(job.job_id)
            if row is None:
                if self._incoming:  # saved, not shown yet: shown as it is now
                    self._newer[job.job_id] = job
                continue
            old = self._rows[row]
            if old.state is not job.state:
                self.state_counts[old.state] -= 1
                self.state_counts[job.state] += 1
                self.counts[category_of(old.state)] -= 1
                self.counts[category_of(job.state)] += 1
                counts_moved = True
            self._rows[row] = job
            self._hays.changed(row, job)
            rows.append(row)
        if not rows:
            return
        rows.sort()
        last_column = len(HEADERS) - 1
        # One signal per run of adjacent rows: the proxy re-checks only the rows named, so a
        # single range over scattered rows would cost a filter and sort pass over all between.
        start = prev = rows[0]
        for row in [*rows[1:], None]:
            if row is not None and row == prev + 1:
                prev = row
                continue
            self.dataChanged.emit(self.index(start, 0), self.index(prev, last_column))
            if row is not None:
                start = prev = row
        if counts_moved:
            self.counts_changed.emit()

    def _tick(self) -> None:
        """Repaint the live columns: the countdown every second, relative times every 10 s."""
        if not self._rows:
            return
        last = len(self._rows) - 1
        roles = [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole]
        self.dataChanged.emit(self.index(0, NEXT_CHECK), self.index(last, NEXT_CHECK), roles)
        self._ticks += 1
        if self._ticks % 10 == 0:
            self.dataChanged.emit(self.index(0, CREATED), self.index(last, LAST_CHECKED), roles)

    def stop_timers(self) -> None:
        self._timer.stop()
        self._frame.stop()
