"""What each cell of the jobs table says: display text, tooltip and sort key, by column, and
the model's answer for each role (``CellText.data``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QIcon

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.ui.job_text import result_text, status_text
from jobmonitor.ui.next_check import NextCheckColumn
from jobmonitor.ui.timefmt import absolute, countdown, relative

ID, LABEL, STATUS, CREATED, UPDATED, LAST_CHECKED, NEXT_CHECK, ERROR, RESULT = range(9)
HEADERS = (
    "Job ID",
    "Label",
    "Status",
    "Created",
    "Updated",
    "Last checked",
    "Next check",
    "Error code",
    "Result",
)

JobIdRole = Qt.ItemDataRole.UserRole + 1
StateRole = Qt.ItemDataRole.UserRole + 2
SortRole = Qt.ItemDataRole.UserRole + 3
JobRole = Qt.ItemDataRole.UserRole + 4
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_FONT = int(Qt.ItemDataRole.FontRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_EDIT = int(Qt.ItemDataRole.EditRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
# The roles any cell answers: a repaint asks for some ten roles of each cell on screen, most of
# which no cell has, and those are answered by one set look-up (plain ints compared).
ROLES = frozenset({_DISPLAY, _DECORATION, _FONT, _TOOLTIP, _EDIT, _ACCESSIBLE})
ROLES |= {SortRole, JobIdRole, StateRole, JobRole}
_NEVER = float("inf")
_JOB_ID, _LABEL, _STATE = attrgetter("job_id"), attrgetter("label"), attrgetter("state")
_TIMES = {  # the columns sorted by a time, and where it is (None: never, last)
    CREATED: attrgetter("created_at"),
    UPDATED: attrgetter("updated_at"),
    LAST_CHECKED: attrgetter("last_checked"),
}
_SEVERITY = {  # status sort order: what needs attention first
    JobState.FAILED: 0,
    JobState.FORBIDDEN: 1,
    JobState.NOT_FOUND: 2,
    JobState.INVALID: 3,
    JobState.UNKNOWN: 4,
    JobState.PROCESSING: 5,
    JobState.QUEUED: 6,
    JobState.SUBMITTED: 7,
    JobState.PENDING: 8,
    JobState.SUCCESS: 9,
}

_SEVERITY_OF = {s: _SEVERITY.get(s, 10) for s in JobState}.__getitem__


class CellText:
    """The words of a row's cells; ``next_check`` (when polling is known) explains a due job."""

    def __init__(
        self,
        next_check: NextCheckColumn | None,
        next_due: Callable[[str], float | None],
        clock: Callable[[], float],
        icon_for: Callable[[JobState], QIcon] | None = None,
        next_due_many: Callable[[Sequence[str]], list[float | None]] | None = None,
    ) -> None:
        self._next_check = next_check
        self._next_due = next_due
        self._next_due_many = next_due_many or (lambda ids: [next_due(i) for i in ids])
        self._clock = clock
        self._icon_for = icon_for
        self._mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self._mono.setStyleHint(QFont.StyleHint.TypeWriter)

    def data(self, job: WatchedJob, column: int, role: int) -> Any:
        """The model's ``data()`` for a cell of ``job``'s row, for a role in ``ROLES``."""
        if role == _DISPLAY:
            return self.display(job, column)
        if role == _DECORATION:
            return self._icon_for(job.state) if column == STATUS and self._icon_for else None
        if role == _FONT:
            return self._mono if column == ID else None
        if role == _TOOLTIP:
            return self.tooltip(job, column)
        if role == _EDIT:
            return job.label if column == LABEL else self.display(job, column)
        if role == SortRole:
            return self.sort_value(job, column)
        if role == JobIdRole:
            return job.job_id
        if role == StateRole:
            return job.state
        if role == JobRole:
            return job
        if column == STATUS:  # the accessible text
            return f"Status: {status_text(job)}"
        return None

    def display(self, job: WatchedJob, column: int) -> str:
        now = self._clock()
        if column == ID:
            return job.job_id
        if column == LABEL:
            return job.label
        if column == STATUS:
            return status_text(job)
        if column == CREATED:
            return relative(job.created_at, now)
        if column == UPDATED:
            return relative(job.updated_at, now)
        if column == LAST_CHECKED:
            return relative(job.last_checked, now) if job.last_checked else "never"
        if column == NEXT_CHECK:
            if job.state.terminal:
                return "done" if job.state is JobState.SUCCESS else "stopped"
            if self._next_check is not None:
                return self._next_check.describe(job.job_id, now).text
            return countdown(self._next_due(job.job_id), now)
        if column == ERROR:
            return job.error_code or ""
        if column == RESULT:
            return result_text(job)
        return ""

    def tooltip(self, job: WatchedJob, column: int) -> str | None:
        if column == CREATED:
            return f"Created {absolute(job.created_at)}"
        if column == UPDATED:
            return f"Updated {absolute(job.updated_at)}"
        if column == LAST_CHECKED:
            return f"Last checked {absolute(job.last_checked)}"
        if column == NEXT_CHECK and not job.state.terminal:
            if self._next_check is not None:
                return self._next_check.describe(job.job_id, self._clock()).tooltip
            return f"Next check {absolute(self._next_due(job.job_id))}"
        if column == STATUS:
            text = status_text(job)
            if job.error_code and not job.state.terminal:
                text += f"\nLast check failed: {job.error_code} (will retry)"
            return text
        if column in (RESULT, ERROR, LABEL, ID):
            return self.display(job, column) or None
        return None

    def sort_value(self, job: WatchedJob, column: int) -> Any:
        if column == ID:
            return job.job_id
        if column == LABEL:
            return job.label.casefold()
        if column == STATUS:
            return _SEVERITY.get(job.state, 10)
        if column == CREATED:
            return job.created_at if job.created_at is not None else _NEVER
        if column == UPDATED:
            return job.updated_at if job.updated_at is not None else _NEVER
        if column == LAST_CHECKED:
            return job.last_checked if job.last_checked is not None else _NEVER
        if column == NEXT_CHECK:
            due = None if job.state.terminal else self._next_due(job.job_id)
            return due if due is not None else _NEVER
        if column == ERROR:
            return job.error_code or ""
        if column == RESULT:
            return result_text(job).casefold()
        return None

    def sort_keys(self, column: int) -> Callable[[Sequence[WatchedJob]], list[Any]]:
        """``sort_value`` of a chunk of jobs at once, in C where it can be: a 100,000-row sort
        asked for it job by job, two or three Python calls each (a third of the sort's time)."""
        if column == ID:
            return lambda jobs: list(map(_JOB_ID, jobs))
        if column == LABEL:
            return lambda jobs: list(map(str.casefold, map(_LABEL, jobs)))
        if column == STATUS:
            return lambda jobs: list(map(_SEVERITY_OF, map(_STATE, jobs)))
        if column in _TIMES:
            when = _TIMES[column]
            return lambda jobs: [_NEVER if t is None else t for t in map(when, jobs)]
        if column == NEXT_CHECK:
            return self._next_checks
        return lambda jobs: [self.sort_value(job, column) for job in jobs]

    def _next_checks(self, jobs: Sequence[WatchedJob]) -> list[Any]:
        dues = self._next_due_many(list(map(_JOB_ID, jobs)))
        return [
            _NEVER if due is None or job.state.terminal else due
            for job, due in zip(jobs, dues, strict=True)
        ]
