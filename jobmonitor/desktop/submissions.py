"""The desktop app's submissions: File › New job and Submit again run through ``core.submit``,
each input a row with progress and Cancel, each accepted job watched under its file's name and
tool, and what was submitted recorded with the job; the Uploads panel lists and deletes.

Part of the composition root. A ``Submitter`` is built per API session (its key, its origin, its
request budget: polls, uploads and submissions share one budget), so a changed base URL or key
takes effect for the next submission.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QMenu

from jobmonitor.api.errors import ApiError
from jobmonitor.api.submit import ToolClient
from jobmonitor.api.tools import Tool, load_catalogue
from jobmonitor.api.uploads import UploadClient
from jobmonitor.core.downloads.model import DownloadProgress, DownloadState
from jobmonitor.core.http import HttpPool
from jobmonitor.core.polling.session import PollingSession
from jobmonitor.core.submit import Plan, Planned, Submitter, UploadJournal
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.input_check import InputFingerprint, fingerprint
from jobmonitor.core.watchlist.job_inputs import JobInput
from jobmonitor.core.watchlist.watchlist import WatchList
from jobmonitor.desktop.inputs import DesktopInputs
from jobmonitor.desktop.upload_journal import StoredUploadJournal
from jobmonitor.ui.icons import action_icon
from jobmonitor.ui.main_window import MainWindow
from jobmonitor.ui.new_job import NewJobController
from jobmonitor.ui.new_job_dialog import NewJobRequest
from jobmonitor.ui.submissions_panel import SubmissionsPanel, SubmitProgress, SubmitStage
from jobmonitor.ui.uploads_panel import UploadsPanel

log = logging.getLogger(__name__)

PROGRESS_EVERY = 0.1  # seconds between progress repaints of one row
NEEDS_SESSION = "Submitting needs an API base URL and key: open Settings (Ctrl+,)."


def make_submitter(
    http: HttpPool, session: PollingSession, journal: UploadJournal | None = None
) -> Submitter:
    """The session's submitter: same key, same origin, same request budget as its polls."""
    api = http.for_url(session.base_url)
    key = session.api_key
    return Submitter(
        ToolClient(api, session.base_url, api_key=key),
        UploadClient(api, session.base_url, api_key=key, storage_http=http.for_url),
        gate=session.scheduler.budget,
        journal=journal,
    )


def job_label(name: str, tool: str) -> str:
    return f"{name} · {tool}"


class DesktopSubmissions:
    """New job, Submit again, the Submissions and Uploads panels, for one window."""

    def __init__(
        self,
        *,
        window: MainWindow,
        watchlist: WatchList,
        inputs: DesktopInputs,
        http: HttpPool,
        session: Callable[[], PollingSession | None],
        store: JobStore,
        db_thread: Executor,
        start_folder: Callable[[], Path | None] = lambda: None,
    ) -> None:
        self._window = window
        self._store = store
        self._db_thread = db_thread
        self._journals: dict[str, StoredUploadJournal] = {}  # by base URL, for the whole run
        self._cleaning: asyncio.Task[None] | None = None
        self._watchlist = watchlist
        self._inputs = inputs
        self._http = http
        self._session = session
        self._start_folder = start_folder
        self._submitter: tuple[PollingSession, str | None, Submitter] | None = None
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._listing: asyncio.Task[Any] | None = None
        self._keys = (str(n) for n in itertools.count(1))
        self._tools: tuple[Tool, ...] = load_catalogue().tools
        file_menu = next(
            (
                m
                for m in window.menuBar().findChildren(QMenu)
                if m.title().replace("&", "") == "File"
            ),
            None,
        )
        self.new_job = NewJobController(
            window, lambda: self._tools, file_menu=file_menu, toolbar=window.toolbar
        )
        self.new_job.start_folder = start_folder
        self.new_job.submit_requested.connect(lambda request: self.submit(request))
        self.panel = SubmissionsPanel()
        self.panel.cancel_requested.connect(self.cancel)
        self.panel.show_job_requested.connect(window.select_job)
        self.dock = window.add_panel(
            self.panel, "Submissions", "Ctrl+Shift+J", action_icon("action-submissions")
        )
        self.uploads = UploadsPanel()
        self.uploads.refresh_requested.connect(lambda: self._spawn(self.refresh_uploads()))
        self.uploads.delete_requested.connect(lambda ids: self._spawn(self.delete_uploads(ids)))
        self.uploads_dock = window.add_panel(
            self.uploads, "Uploads", "Ctrl+Shift+U", action_icon("action-uploads")
        )
        self.uploads_dock.visibilityChanged.connect(
            lambda shown: self._spawn(self.refresh_uploads()) if shown else None
        )
        window.details.submission.submit_again_requested.connect(self.submit_again)

    # -- the submitter of the current session -------------------------------------------------

    def submitter(self) -> Submitter | None:
        session = self._session()
        if session is None or not session.api_key:  # no key yet: nothing to send in its name
            self._submitter = None
            return None
        # The key arrives from the keyring after the session starts, and may change: the
        # submitter is rebuilt whenever either differs from the one it was built with.
        built = self._submitter
        if built is None or built[0] is not session or built[1] != session.api_key:
            journal = self._journals.get(session.base_url)
            if journal is None:
                journal = self._journals[session.base_url] = StoredUploadJournal(
                    self._store, self._db_thread, session.base_url
                )
            built = self._submitter = (
                session,
                session.api_key,
                make_submitter(self._http, session, journal),
            )
        return built[2]

    def clean_leftovers(self) -> None:
        """The session has its key: delete the uploads an interrupted run left unsettled."""
        if self._cleaning is None or self._cleaning.done():
            self._cleaning = self._spawn(self._clean_leftovers())

    async def _clean_leftovers(self) -> None:
        submitter = self.submitter()
        if submitter is None or not isinstance(submitter.journal, StoredUploadJournal):
            return
        try:
            leftovers = await submitter.journal.leftovers()
        except (OSError, sqlite3.Error) as exc:
            log.error("could not read the pending uploads: %s", exc)
            return
        if not leftovers:
            return
        names = dict(leftovers)
        deleted, failed = await submitter.delete_leftovers(list(names))
        if deleted:
            shown = ", ".join(names[u] or u for u in deleted[:3]) + (
                "…" if len(deleted) > 3 else ""
            )
            n = len(deleted)
            self._say(
                f"Deleted {n} upload{'s' if n != 1 else ''} that an interrupted submission "
                f"left behind ({shown})."
            )
            if self.uploads_dock.isVisible():
                await self.refresh_uploads()
        if failed:
            log.info("%d leftover uploads stay for the next start", len(failed))

    def _say(self, text: str) -> None:
        self._window.statusBar().showMessage(text, 10000)

    # -- submitting ---------------------------------------------------------------------------

    def submit(self, request: NewJobRequest, previous_job: str | None = None) -> list[str]:
        """Plan every input, then start one task per good one; the row keys, in order."""
        submitter = self.submitter()
        if submitter is None:
            self._say(NEEDS_SESSION)
            return []
        sources = [str(p) for p in request.files] + list(request.urls)
        try:
            plan = submitter.plan(request.tool, sources, request.options)
        except ApiError as exc:  # a bad tool or option: nothing can be submitted
            self._say(str(exc))
            return []
        self.dock.show()
        self.dock.raise_()
        keys: list[str] = []
        for problem in plan.problems:
            key = next(self._keys)
            name = Path(problem.source).name or problem.source or "(nothing)"
            self.panel.show_progress(
                SubmitProgress(
                    key, name, plan.tool.slug, SubmitStage.FAILED, message=str(problem.error)
                )
            )
            keys.append(key)
        for item in plan.items:
            key = next(self._keys)
            keys.append(key)
            self._tasks[key] = self._spawn(self._run(submitter, plan, item, key, previous_job))
        n = len(plan.items)
        self._say(f"Submitting {n} input{'s' if n != 1 else ''} to {plan.tool.slug}…")
        return keys

    def submit_again(self, job_id: str) -> list[str]:
        """The same input (re-read from disk), tool and options as ``job_id``: a new, linked job."""
        record = self._inputs.inputs.get(job_id)
        if record is None or not record.submitted_here:
            self._say(f"{job_id} was not submitted from this app: use File › New job.")
            return []
        files = (record.path,) if record.path is not None else ()
        urls = (record.url,) if record.url and record.path is None else ()
        request = NewJobRequest(files, urls, record.tool or "", dict(record.options))
        return self.submit(request, previous_job=job_id)

    async def _run(
        self, submitter: Submitter, plan: Plan, item: Planned, key: str, previous: str | None
    ) -> None:
        tool = plan.tool.slug
        name = item.path.name if item.path is not None else item.label

        def show(stage: SubmitStage, **kw: Any) -> None:
            self.panel.show_progress(SubmitProgress(key, name, tool, stage, **kw))

        last = 0.0

        def progress(sent: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= PROGRESS_EVERY or sent >= total:
                last = now
                show(SubmitStage.UPLOADING, sent=sent, total=total)

        show(SubmitStage.PREPARING, message="Reading the file…" if item.path else "")
        try:
            fp = None if item.path is None else await asyncio.to_thread(fingerprint, item.path)
            show(SubmitStage.UPLOADING if item.path else SubmitStage.SUBMITTING, total=item.size)
            done = await submitter.submit(plan, item, progress=progress)
        except asyncio.CancelledError:
            show(SubmitStage.CANCELLED, message="Cancelled before the job was accepted.")
            raise
        except ApiError as exc:
            show(SubmitStage.FAILED, message=str(exc))
            return
        except OSError as exc:
            show(
                SubmitStage.FAILED, message=f"{item.path} could not be read: {exc.strerror or exc}"
            )
            return
        finally:
            self._tasks.pop(key, None)
        self._watch(done.job_id, name, tool, item, plan, fp, previous, done.status_url)
        show(SubmitStage.ACCEPTED, job_id=done.job_id)

    def _watch(
        self,
        job_id: str,
        name: str,
        tool: str,
        item: Planned,
        plan: Plan,
        fp: InputFingerprint | None,
        previous: str | None,
        status_url: str | None = None,
    ) -> None:
        # The record first: the details of a failed job look for its input as soon as it shows.
        self._inputs.record(
            JobInput(
                job_id,
                path=item.path,
                url=item.source if item.mode == "url" else None,
                size=fp.size if fp else None,
                mtime=fp.mtime if fp else None,
                sha256=fp.sha256 if fp else None,
                tool=tool,
                options=dict(plan.options),
                submitted_at=time.time(),
                previous_job=previous,
                status_url=status_url,
            )
        )
        self._watchlist.add([job_id])
        session = self._session()
        if status_url and session is not None:  # polled there (when on the API's origin)
            session.scheduler.use_status_urls({job_id: status_url})
        self._watchlist.set_label(job_id, job_label(name, tool))
        if previous is not None:
            self._inputs.refresh_details(previous)

    def cancel(self, key: str) -> None:
        task = self._tasks.get(key)
        if task is not None:
            task.cancel()

    # -- uploads ------------------------------------------------------------------------------

    async def refresh_uploads(self) -> None:
        """List the uploads into the panel; a listing still under way is dropped (a delete
        must not be undone on screen by an older listing arriving after it)."""
        current = asyncio.current_task()
        stale, self._listing = self._listing, current
        if stale is not None and stale is not current and not stale.done():
            stale.cancel()
        submitter = self.submitter()
        if submitter is None:
            self.uploads.show_problem(NEEDS_SESSION)
            return
        try:
            self.uploads.show_uploads(await submitter.uploads.list_uploads())
        except ApiError as exc:
            self.uploads.show_problem(f"The uploads could not be listed: {exc}")

    async def delete_uploads(self, upload_ids: list[str]) -> None:
        submitter = self.submitter()
        if submitter is None:
            self.uploads.show_problem(NEEDS_SESSION)
            return
        failed = []
        for upload_id in upload_ids:
            try:
                await submitter.uploads.delete_upload(upload_id)
            except ApiError as exc:
                failed.append(f"{upload_id}: {exc}")
        await self.refresh_uploads()
        if failed:
            self.uploads.show_problem("Not deleted: " + "; ".join(failed))

    # -- result links -------------------------------------------------------------------------

    def on_download(self, progress: DownloadProgress) -> None:
        """A result link the file host refused even after a fresh look-up has expired."""
        if progress.state is DownloadState.FAILED and progress.message.startswith(
            "The download link "
        ):
            self._inputs.expired_links.add(progress.job_id)
            self._inputs.refresh_details(progress.job_id)

    # -- tasks --------------------------------------------------------------------------------

    def _spawn(self, coro: Any) -> asyncio.Task[None]:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)
        task.add_done_callback(_log_crash)
        return task

    async def aclose(self) -> None:
        """Cancel what is running: each cancelled submission deletes its pending upload."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("a submission task failed", exc_info=task.exception())
