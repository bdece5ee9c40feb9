"""Status chips with counts (All, Queued, Processing, Success, Failed, Problem) and the search field."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QIcon, QKeySequence, QResizeEvent
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLineEdit, QToolButton, QWidget

from jobmonitor.core.state import JobState
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.ui.a11y import name_clear_button
from jobmonitor.ui.job_text import Category
from jobmonitor.ui.jobs_model import JobsTableModel
from jobmonitor.ui.jobs_proxy import SYNC_ROWS, JobsFilterProxy
from jobmonitor.ui.rows import CHUNK
from jobmonitor.ui.slices import SlicedPass

# The state whose icon stands for each chip.
_CHIP_ICON_STATE = {
    Category.QUEUED: JobState.QUEUED,
    Category.PROCESSING: JobState.PROCESSING,
    Category.SUCCESS: JobState.SUCCESS,
    Category.FAILED: JobState.FAILED,
    Category.PROBLEM: JobState.FORBIDDEN,
}
_HINTS = {
    Category.QUEUED: "Waiting for a first answer, or queued on the server",
    Category.PROCESSING: "Being processed on the server",
    Category.SUCCESS: "Finished with a result",
    Category.FAILED: "Finished with an error",
    Category.PROBLEM: "Forbidden, not found, invalid, or a status the API never documented",
}


_SEARCH_MIN = 150
# An extra chip's count (Stuck) is a pass over every job. On a long list it runs in slices, at
# most once this often while answers keep coming: a pass per saved batch cost 40 ms at 100,000
# jobs, several times a second while polling, and once per 2,000 rows of a big add.
EXTRA_RECOUNT_MS = 1_000


class FilterBar(QWidget):
    """Drives the proxy's category and search text; chip labels follow the model's counts."""

    counts_updated = Signal()  # the chips' texts changed (the View menu mirrors them)
    chip_added = Signal(str)  # add_chip's name (the View menu gives it an item too)

    def __init__(
        self,
        model: JobsTableModel,
        proxy: JobsFilterProxy,
        *,
        icon_for: Callable[[JobState], QIcon] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._proxy = proxy
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        self.chips: dict[Category | None, QToolButton] = {}
        self.texts: dict[Category | None, str] = {}  # "Failed (2)", whatever the chip shows
        self._layout = layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        for category in (None, *Category):
            chip = QToolButton(self)
            chip.setCheckable(True)
            chip.setAutoRaise(True)
            chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            if category is not None and icon_for is not None:
                chip.setIcon(icon_for(_CHIP_ICON_STATE[category]))
            chip.setToolTip("Every job" if category is None else _HINTS[category])
            chip.toggled.connect(lambda on, c=category: self._chip_toggled(on, c))
            self._group.addButton(chip)
            self.chips[category] = chip
            layout.addWidget(chip)
        self.chips[None].setChecked(True)
        # Chips that are no status category (Stuck): name -> (chip, what it shows now).
        self.extra: dict[str, tuple[QToolButton, Callable[[], Callable[[WatchedJob], bool]]]] = {}
        self._extra_at = layout.count()
        self._extra_pass = SlicedPass(self)
        self._extra_found: dict[str, int] = {}
        self._extra_later = QTimer(self, singleShot=True, interval=EXTRA_RECOUNT_MS)
        self._extra_later.timeout.connect(self._count_extra)
        layout.addStretch(1)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search id, label or error code (Ctrl+F)")
        self.search.setAccessibleName("Search jobs")
        self.search.setClearButtonEnabled(True)
        name_clear_button(self.search, "Clear the search")
        clear = QAction("Clear the search", self.search)  # Esc, as in every search field
        clear.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        clear.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        clear.triggered.connect(self.search.clear)
        self.search.addAction(clear)
        self.search.setMinimumWidth(_SEARCH_MIN)
        self._compact = False
        self.search.textChanged.connect(proxy.set_search_text)
        # Up to 360 px when there is room; the chips keep their size and the gap takes the rest.
        self.search.setMaximumWidth(360)
        layout.addWidget(self.search, 3)
        model.counts_changed.connect(self.update_counts)
        self.update_counts()

    def add_chip(
        self,
        name: str,
        hint: str,
        accepts: Callable[[], Callable[[WatchedJob], bool]],
        icon: QIcon | None = None,
    ) -> QToolButton:
        """A chip for the jobs ``accepts()`` takes (asked anew at each count and refresh, for
        a test that changes with time), after the status chips and exclusive with them."""
        chip = QToolButton(self)
        chip.setCheckable(True)
        chip.setAutoRaise(True)
        chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        if icon is not None:
            chip.setIcon(icon)
        chip.setToolTip(hint)
        chip.toggled.connect(lambda on: self._extra_toggled(on, accepts))
        self._group.addButton(chip)
        self._layout.insertWidget(self._extra_at + len(self.extra), chip)
        self.extra[name] = (chip, accepts)
        self.update_counts()
        self.chip_added.emit(name)
        return chip

    def _count_extra(self) -> None:
        """Count the extra chips' jobs now (a short list) or in slices (a long one)."""
        self._extra_later.stop()
        if not self.extra:
            return
        self._extra_pass.start(self._extra_steps(), self._show_extra)
        if self._model.rowCount() <= SYNC_ROWS:
            self._extra_pass.finish_now()

    def _extra_steps(self) -> Iterator[None]:
        counts = self._model.counts
        # Only unfinished jobs can match such a chip (Stuck): with none, no need to look.
        running = sum(
            counts.get(c, 0) for c in (Category.QUEUED, Category.PROCESSING, Category.PROBLEM)
        )
        jobs = list(self._model.rows()) if running else []
        found = dict.fromkeys(self.extra, 0)
        for name, (_chip, accepts) in self.extra.items():
            test = accepts()
            for start in range(0, len(jobs), CHUNK):
                found[name] += sum(1 for job in jobs[start : start + CHUNK] if test(job))
                yield
        self._extra_found = found

    def _show_extra(self) -> None:
        for name, n in self._extra_found.items():
            chip = self.extra[name][0]
            chip.setText(f"{name} ({n})")
            chip.setAccessibleName(f"Show {name.lower()} jobs: {n}")
        self.updateGeometry()
        self.counts_updated.emit()

    def refresh_extra(self) -> None:
        """Count the extra chips again, and re-apply the one that is on (time moved on)."""
        self.update_counts()  # counts a short list's extra chips at once
        if self._model.rowCount() > SYNC_ROWS:
            self._count_extra()  # now, not at the next throttled recount
        for chip, accepts in self.extra.values():
            if chip.isChecked():
                self._proxy.set_only(accepts())

    def _extra_toggled(self, on: bool, accepts: Callable[[], Callable[[WatchedJob], bool]]) -> None:
        if on:
            self._proxy.set_category(None)
            self._proxy.set_only(accepts())
        else:
            self._proxy.set_only(None)

    def _chip_toggled(self, on: bool, category: Category | None) -> None:
        if on:
            self._proxy.set_category(category)

    def select(self, category: Category | None) -> None:
        self.chips[category].setChecked(True)

    def update_counts(self) -> None:
        counts = self._model.counts
        total = self._model.rowCount()
        for category, chip in self.chips.items():
            name = "All" if category is None else category.label
            n = total if category is None else counts.get(category, 0)
            self.texts[category] = full = f"{name} ({n})"
            # Narrow: a chip with an icon shows the count beside it; the name is in the tooltip.
            short = self._compact and category is not None
            chip.setText(str(n) if short else full)
            chip.setAccessibleName(f"Show {name.lower()} jobs: {n}")
            hint = "Every job" if category is None else _HINTS[category]
            chip.setToolTip(f"{full}: {hint}" if short else hint)
        if self._model.rowCount() <= SYNC_ROWS:
            self._count_extra()
        elif self.extra and not (self._extra_pass.running or self._extra_later.isActive()):
            self._extra_later.start()
        self.updateGeometry()
        self.counts_updated.emit()

    # -- narrow windows ------------------------------------------------------------------------

    def _width(self, *, compact: bool) -> int:
        spacing = self._layout.spacing()
        width = _SEARCH_MIN if compact else 260
        metrics = self.fontMetrics()
        for category, chip in self.chips.items():
            text = self.texts.get(category, "")
            if compact and category is not None:
                text = text[text.rfind("(") + 1 : -1]
            width += metrics.horizontalAdvance(text) + chip.iconSize().width() + 20 + spacing
        for chip, _accepts in self.extra.values():  # no icon: always the name and the count
            width += metrics.horizontalAdvance(chip.text()) + 20 + spacing
        return width + 12

    def minimumSizeHint(self) -> QSize:
        return QSize(self._width(compact=True), super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        compact = self.width() < self._width(compact=False)
        if compact != self._compact:
            self._compact = compact
            self.update_counts()
