"""The desktop app's record of each job's input: shown in the details, attached by the user.

Part of the composition root: it hands the details panel the recorded input of a job (read once
from the watch-list database at start-up, kept in memory), and records an input the user attaches
(by "Attach input file…" or by dropping the file on the details) on the database thread.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor, Future
from pathlib import Path

from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.job_inputs import JobInput
from jobmonitor.ui.main_window import MainWindow

log = logging.getLogger(__name__)


class DesktopInputs:
    """Job inputs for the window; ``record`` keeps one (a submission's, or an attached file)."""

    def __init__(self, *, window: MainWindow, store: JobStore, db_thread: Executor) -> None:
        self._window = window
        self._store = store
        self._db_thread = db_thread
        self.inputs = store.load_inputs()
        self.expired_links: set[str] = set()  # jobs whose result link the file host refused
        failure = window.details.failure
        failure.job_input = self.inputs.get
        failure.input_attached.connect(self.attach)
        submitted = window.details.submission
        submitted.job_input = self.inputs.get
        submitted.resubmissions = self.resubmissions
        submitted.link_expired = self.expired_links.__contains__
        submitted.show_job_requested.connect(window.select_job)

    def resubmissions(self, job_id: str) -> list[str]:
        """The jobs submitted again from ``job_id``, oldest first."""
        later = [r for r in self.inputs.values() if r.previous_job == job_id]
        return [r.job_id for r in sorted(later, key=lambda r: r.submitted_at or 0.0)]

    def attach(self, job_id: str, path: Path) -> None:
        """The user says ``path`` is what ``job_id`` was given (a job submitted elsewhere, or a
        copy of a submitted file moved since): what was submitted, if known, is kept."""
        before = self.inputs.get(job_id)
        if not path.is_file():
            self._window.statusBar().showMessage(f"{path} is not a file", 8000)
            return
        if before is not None and before.submitted_here:
            # Keep tool, options and the submitted fingerprint: the notice still compares.
            record = JobInput(
                job_id,
                path=path,
                url=before.url,
                size=before.size,
                mtime=before.mtime,
                sha256=before.sha256,
                tool=before.tool,
                options=before.options,
                submitted_at=before.submitted_at,
                previous_job=before.previous_job,
            )
        else:
            record = JobInput(job_id, path=path, attached=True)
        self.record(record)
        self._window.statusBar().showMessage(f"Showing {job_id}'s failure in {path.name}", 6000)

    def record(self, record: JobInput) -> None:
        self.inputs[record.job_id] = record
        try:
            future = self._db_thread.submit(self._store.record_input, record)
            future.add_done_callback(_log_failure)
        except RuntimeError:  # shutting down: shown this session, not kept
            log.info("not recorded (closing): the input of %s", record.job_id)
        self.refresh_details(record.job_id)

    def refresh_details(self, job_id: str) -> None:
        """Show the details again if they show ``job_id`` (its input or links changed)."""
        details = self._window.details
        if details.job is not None and details.job.job_id == job_id:
            details.refresh()

    def close(self) -> None:
        self._window.details.failure.loader.close()


def _log_failure(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.warning("could not record a job's input: %s", future.exception())
