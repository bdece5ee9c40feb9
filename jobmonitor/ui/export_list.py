"""File › Export list as CSV: the jobs the table shows (filter and sort applied) into a CSV file."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from jobmonitor.core.watchlist.export import write_csv
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.ui.job_text import status_text
from jobmonitor.ui.jobs_proxy import JobsFilterProxy


class ListExporter(QObject):
    """``export()`` asks where, writes, and says how it went (``message``, ``failed``)."""

    message = Signal(str)  # for the status bar: what was written where
    failed = Signal(str)  # for the window's notice banner: why nothing was written

    def __init__(
        self,
        parent: QWidget,
        proxy: JobsFilterProxy,
        watchlist: WatchList,
        saved_as: Callable[[str], Path | None],
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._proxy = proxy
        self._watchlist = watchlist
        self._saved_as = saved_as
        # Where to write (None: the user cancelled); tests put a function of their own here.
        self.choose_path: Callable[[Path], Path | None] = self._ask

    def export(self) -> int | None:
        """Export the shown jobs; the number written, or None when cancelled or failed."""
        ids = [self._proxy.job_id_at(row) for row in range(self._proxy.rowCount())]
        jobs = [job for job in map(self._watchlist.get, ids) if job is not None]
        if not jobs:
            self.message.emit("No jobs shown to export (the filter hides them all?).")
            return None
        path = self.choose_path(self._suggested())
        if path is None:
            return None
        try:
            count = write_csv(path, jobs, status_text=status_text, saved_as=self._saved_as)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.failed.emit(f"Could not export the list to {path}: {reason}. Nothing was written.")
            return None
        self.message.emit(f"Exported {count} job{'s' if count != 1 else ''} to {path}.")
        return count

    def _suggested(self) -> Path:
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        name = time.strftime("jobs-%Y-%m-%d-%H%M.csv")
        return Path(folder or Path.home()) / name

    def _ask(self, suggested: Path) -> Path | None:
        name, _ = QFileDialog.getSaveFileName(
            self._parent, "Export the list as CSV", str(suggested), "CSV files (*.csv)"
        )
        if not name:
            return None
        path = Path(name)
        return path if path.suffix else path.with_suffix(".csv")
