"""File › Export list as CSV: the jobs the table shows (filter and sort applied) into a CSV file."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QStandardPaths, Signal
from PySide6.QtWidgets import QFileDialog, QWidget

from jobmonitor.core.watchlist.export import write_csv
from jobmonitor.core.watchlist.records import WatchedJob
from jobmonitor.ui.job_text import status_text
from jobmonitor.ui.jobs_proxy import JobsFilterProxy

BACKGROUND_ROWS = 5_000  # a longer list is written on a worker thread
# The worker sleeps this long after each step of rows (export.STEP_ROWS, about a millisecond of
# Python). A thread that never sleeps takes the interpreter back each time the GUI thread lets go
# of it (every socket call, every Qt call), and the GUI thread then waits up to the 5 ms switch
# interval each time: 93-143 ms turns at 100,000 jobs. Resting, it is seldom waiting to take it.
REST_SECONDS = 0.001


class ListExporter(QObject):
    """``export()`` asks where, writes, and says how it went (``message``, ``failed``).

    A long list is written on a worker thread (100,000 rows take a few seconds of Python), with
    ``progress`` on the way; the records are immutable, so the thread reads them as they were.
    """

    message = Signal(str)  # for the status bar: what was written where
    failed = Signal(str)  # for the window's notice banner: why nothing was written
    progress = Signal(int, int)  # rows written, rows to write (a long list, in the background)
    _written = Signal(object)  # from the worker: (path, count, or the OSError)

    def __init__(
        self,
        parent: QWidget,
        proxy: JobsFilterProxy,
        saved_as: Callable[[str], Path | None],
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._proxy = proxy
        self._saved_as = saved_as
        # Where to write (None: the user cancelled); tests put a function of their own here.
        self.choose_path: Callable[[Path], Path | None] = self._ask
        self._busy = False
        self._written.connect(self._on_written)

    @property
    def busy(self) -> bool:
        """A long export is being written in the background."""
        return self._busy

    def export(self) -> int | None:
        """Export the shown jobs; the number written (None when cancelled, failed, or still
        being written in the background: ``message`` says when it is done)."""
        if self._busy:
            self.message.emit("An export of the list is still being written.")
            return None
        jobs = self._proxy.jobs()  # as the table shows them (the saved records)
        if not jobs:
            self.message.emit("No jobs shown to export (the filter hides them all?).")
            return None
        path = self.choose_path(self._suggested())
        if path is None:
            return None
        if len(jobs) > BACKGROUND_ROWS:
            self._busy = True
            self.progress.emit(0, len(jobs))
            thread = threading.Thread(
                target=self._write, args=(path, jobs), name="jobmonitor-export", daemon=True
            )
            thread.start()
            return None
        try:
            count = write_csv(path, jobs, status_text=status_text, saved_as=self._saved_as)
        except OSError as exc:
            self._on_written((path, exc))
            return None
        self._on_written((path, count))
        return count

    def _write(self, path: Path, jobs: list[WatchedJob]) -> None:
        """On the worker thread: the file, then the outcome back to the GUI thread."""
        total = len(jobs)
        rest = threading.Event()  # never set: its wait is this worker thread's sleep
        try:
            count = write_csv(
                path,
                jobs,
                status_text=status_text,
                saved_as=self._saved_as,
                progress=lambda written: self.progress.emit(written, total),
                pause=lambda: rest.wait(REST_SECONDS),
            )
        except OSError as exc:
            self._written.emit((path, exc))
        else:
            self._written.emit((path, count))

    def _on_written(self, outcome: tuple[Path, int | OSError]) -> None:
        self._busy = False
        path, result = outcome
        if isinstance(result, OSError):
            reason = result.strerror or type(result).__name__
            self.failed.emit(f"Could not export the list to {path}: {reason}. Nothing was written.")
            return
        self.message.emit(f"Exported {result} job{'s' if result != 1 else ''} to {path}.")

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
