"""The watch list in memory: applies scheduler events and user edits, persists them, then tells the UI.

Every change goes into a batch written in one transaction on a single worker thread (so an fsync
never stalls the event loop), and the UI hears about it only once it is on disk: a killed app
loses nothing it had shown.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import replace
from itertools import repeat
from operator import attrgetter

from PySide6.QtCore import QObject, QTimer, Signal

from jobmonitor.core.state import JobEvent, JobState
from jobmonitor.core.watchlist.changes import Poller, RemovedJobs, Told, Written, apply_event, tell
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.core.watchlist.records import HistoryEntry, WatchedJob, fresh_job

log = logging.getLogger(__name__)

_JOB_ID = attrgetter("job_id")
WATCH_SLICE = 1_000  # restored jobs handed to the scheduler per event-loop turn (5,000: 40-70 ms)


_Read = tuple[list[WatchedJob], dict[str, WatchedJob]]


def _read_jobs(store: JobStore) -> _Read:
    """On the writer thread: the saved jobs, and by id (a dict of 100,000 is 10-20 ms)."""
    jobs = store.load_jobs()
    return jobs, {j.job_id: j for j in jobs}


class WatchList(QObject):
    """The watched jobs, their history, and the pipeline that saves changes before showing them."""

    jobs_added = Signal(object)  # list[WatchedJob], saved
    jobs_changed = Signal(object)  # list[WatchedJob], saved
    jobs_removed = Signal(object)  # list[str], saved
    write_failed = Signal(str)
    _write_done = Signal(object)  # from the worker thread: (Future, pending UI notices)
    history_loaded = Signal()  # the saved history is in (read after the window showed)
    _history_read = Signal(object)  # from the worker thread: the Future of load_history
    _jobs_read = Signal(object)  # from the worker thread: the Future of the list's read
    loaded = Signal()  # the saved list is in (and told through jobs_added)

    def __init__(
        self,
        store: JobStore,
        *,
        executor: Executor | None = None,
        clock: Callable[[], float] = time.time,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._executor = executor
        self._clock = clock
        self._poller: Poller | None = None
        self._jobs: dict[str, WatchedJob] = {}
        # a tuple per job: a new job's is shared with its batch (a list each was 64 bytes a job)
        self._history: dict[str, Sequence[HistoryEntry]] = {}
        self._next_position = 0
        # the batch being gathered this event-loop turn
        self._dirty: dict[str, None] = {}
        self._new_history: list[tuple[str, HistoryEntry]] = []
        self._removed: list[str] = []
        self._notices: list[tuple[str, list[str]]] = []
        self._flush_timer = QTimer(self, singleShot=True, interval=0)
        self._flush_timer.timeout.connect(self._flush)
        self._in_flight: Future[Told] | None = None
        self._write_done.connect(self._on_write_done)
        self._history_future: Future[dict[str, list[HistoryEntry]]] | None = None
        self._history_read.connect(self._merge_history)
        self._to_watch: list[str] = []  # restored jobs not handed to the scheduler yet
        self._loading: Future[_Read] | None = None
        self._jobs_read.connect(self._on_jobs_read)
        self._watch_timer = QTimer(self, singleShot=True, interval=0)
        self._watch_timer.timeout.connect(self._watch_next)

    # -- set-up ----------------------------------------------------------------------------

    def load(self) -> list[WatchedJob]:
        """Read the saved list now (a short one, or no writer thread) and tell the UI."""
        self._settle_load()
        jobs = self._store.load_jobs()
        self._take_loaded(jobs, {j.job_id: j for j in jobs})
        return jobs

    def load_in_background(self) -> None:
        """Read the saved list on the writer thread and tell the UI when it is in (``loaded``).

        100,000 saved jobs take most of a second to read and make records of: the window shows
        meanwhile. Whatever needs the whole list first (an add, a removal, ``jobs()``) waits
        for the read to finish; a job not read yet is simply not there for anything else."""
        if self._executor is None or self._loading is not None:
            self.load()
            return
        self._loading = self._executor.submit(_read_jobs, self._store)
        self._loading.add_done_callback(self._jobs_read.emit)

    @property
    def loading(self) -> bool:
        """The saved list is being read (see ``load_in_background``)."""
        return self._loading is not None

    def _on_jobs_read(self, future: Future[_Read]) -> None:
        if future is self._loading:
            self._settle_load()

    def _settle_load(self) -> None:
        """Take in the saved list being read, waiting for it if need be."""
        future, self._loading = self._loading, None
        if future is None:
            return
        try:
            jobs, by_id = future.result()
        except (sqlite3.Error, OSError) as exc:  # the file is unreadable: said, list left empty
            log.error("could not read the watch list: %s", exc)
            self.write_failed.emit(f"Could not read the watch list: {exc}")
            jobs, by_id = [], {}
        self._take_loaded(jobs, by_id)

    def _take_loaded(self, jobs: list[WatchedJob], by_id: dict[str, WatchedJob]) -> None:
        # before the history read starts: it can finish at once, and merges only listed jobs
        by_id.update(self._jobs)  # nothing is added while loading, but keep what is there
        self._jobs = by_id
        if self._executor is None:
            self._history = dict(self._store.load_history())
        else:  # 100,000 jobs' history: read on the writer thread while the window shows
            future = self._executor.submit(self._store.load_history)
            self._history_future = future
            future.add_done_callback(self._history_read.emit)
        self._next_position = max(self._next_position, jobs[-1].position + 1 if jobs else 0)
        if self._poller is not None and jobs:
            self._to_watch.extend(by_id)
            self._watch_next()
        if jobs:
            self.jobs_added.emit(jobs)
        self.loaded.emit()

    def _merge_history(self, future: Future[dict[str, list[HistoryEntry]]]) -> None:
        """The saved history, then what this session added (written after it was read).

        A pass over what this session added, not over the 100,000 saved jobs (that pass held
        the window a third of a second after start-up)."""
        if future is not self._history_future:
            return  # merged already (a removal needed it at once)
        self._history_future = None
        try:
            saved: dict[str, Sequence[HistoryEntry]] = dict(future.result())
        except (sqlite3.Error, OSError) as exc:
            log.error("could not read the status history: %s", exc)
            self.write_failed.emit(f"Could not read the status history: {exc}")
            return
        for job_id, entries in self._history.items():
            before = saved.get(job_id)
            saved[job_id] = entries if before is None else (*before, *entries)
        # (rows of a job no longer listed, if any, are kept and never asked for: an add of
        # that id starts its own history)
        self._history = saved
        self.history_loaded.emit()

    @property
    def history_complete(self) -> bool:
        """False for a moment after start-up, while the saved history is being read."""
        return self._history_future is None

    def attach_poller(self, poller: Poller) -> None:
        """Hand every job to the scheduler; terminal jobs are remembered but not polled again.

        A long list is handed over a slice per event-loop turn after the first (100,000 jobs
        at once held the window's first showing for a quarter of a second or more); a list
        still being read follows when it is in."""
        self._poller = poller
        self._to_watch = list(self._jobs)
        self._watch_next()

    def _watch_next(self) -> None:
        ids, self._to_watch = self._to_watch[:WATCH_SLICE], self._to_watch[WATCH_SLICE:]
        jobs = self._jobs
        self._watch([jobs[j] for j in ids if j in jobs])  # not removed meanwhile
        if self._to_watch:
            self._watch_timer.start()

    def _watch(self, jobs: Sequence[WatchedJob]) -> None:
        assert self._poller is not None
        fresh = [j.job_id for j in jobs if j.state is JobState.PENDING]
        if fresh:
            self._poller.watch_many(fresh)
        for job in jobs:
            if job.state is not JobState.PENDING:
                self._poller.watch(job.job_id, state=job.state)

    # -- reading ---------------------------------------------------------------------------

    def __len__(self) -> int:
        self._settle_load()
        return len(self._jobs)

    def __contains__(self, job_id: object) -> bool:
        self._settle_load()
        return job_id in self._jobs

    def get(self, job_id: str) -> WatchedJob | None:
        return self._jobs.get(job_id)  # a job not read yet is not in the table either

    def jobs(self) -> list[WatchedJob]:
        self._settle_load()
        return sorted(self._jobs.values(), key=lambda j: j.position)

    def known_ids(self) -> frozenset[str]:
        self._settle_load()
        return frozenset(self._jobs)

    def history(self, job_id: str) -> list[HistoryEntry]:
        return list(self._history.get(job_id, ()))

    # -- edits -----------------------------------------------------------------------------

    def add(self, job_ids: Iterable[str]) -> list[str]:
        """Watch new (already validated) ids; ids already on the list are skipped."""
        self._settle_load()
        now = self._clock()
        entry = HistoryEntry(JobState.PENDING, now)
        first = (entry,)  # immutable: one history serves every job of the batch until it moves
        jobs, history = self._jobs, self._history
        ids = [j for j in dict.fromkeys(job_ids) if j not in jobs]
        if not ids:
            return []
        start = self._next_position
        self._next_position += len(ids)
        for position, job_id in enumerate(ids, start):
            jobs[job_id] = fresh_job(job_id, position, now)
            history[job_id] = first
        self._new_history.extend(zip(ids, repeat(entry)))
        self._mark(ids, "added")
        if self._poller is not None:
            self._poller.watch_many(ids)
        return ids

    def remove(self, job_ids: Iterable[str]) -> RemovedJobs:
        self._settle_load()
        if self._history_future is not None:  # undo must put back all of it: wait for it
            self._merge_history(self._history_future)
        # A pass in C per step where it can be (a Delete of 50,000 held the window for it).
        listed, histories = self._jobs, self._history
        ids = [j for j in dict.fromkeys(job_ids) if j in listed]
        if not ids:
            return RemovedJobs((), {})
        jobs = tuple(map(listed.pop, ids))
        no_history: tuple[HistoryEntry, ...] = ()
        history = dict(
            zip(ids, map(tuple, map(histories.pop, ids, repeat(no_history))), strict=True)
        )
        if self._dirty:
            for job_id in ids:
                self._dirty.pop(job_id, None)
        self._removed.extend(ids)
        if self._poller is not None:
            self._poller.unwatch_many(ids)  # the removed ones: one call, one wake-up
        if self._new_history:  # what is not written yet of the removed jobs' history
            gone = set(ids)
            self._new_history = [(j, e) for j, e in self._new_history if j not in gone]
        self._notices.append(("removed", ids))
        self._schedule()
        return RemovedJobs(jobs, history)

    def put_back(self, removed: RemovedJobs) -> None:
        """Undo a removal: the same records, positions and history."""
        self._settle_load()
        listed = self._jobs
        jobs = [j for j in removed.jobs if j.job_id not in listed]
        if not jobs:
            return
        ids = list(map(_JOB_ID, jobs))
        listed.update(zip(ids, jobs, strict=True))
        no_history: tuple[HistoryEntry, ...] = ()
        histories = list(map(tuple, map(removed.history.get, ids, repeat(no_history))))
        self._history.update(zip(ids, histories, strict=True))
        self._new_history.extend(
            (j, e) for j, entries in zip(ids, histories, strict=True) for e in entries
        )
        self._mark(ids, "added")
        if self._poller is not None:
            self._watch(jobs)

    def set_label(self, job_id: str, label: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.label == label.strip():
            return
        self._jobs[job_id] = replace(job, label=label.strip())
        self._mark([job_id], "changed")

    def on_event(self, event: JobEvent) -> None:
        """Scheduler listener: record the observation (and a transition, if the state moved)."""
        job = self._jobs.get(event.job_id)
        if job is None:  # removed while the request was in flight
            return
        updated = apply_event(job, event)
        self._jobs[job.job_id] = updated
        if updated.state is not job.state:
            entry = HistoryEntry(updated.state, event.observed_at)
            self._history[job.job_id] = (*self._history.get(job.job_id, ()), entry)
            self._new_history.append((job.job_id, entry))
        self._mark([job.job_id], "changed")

    # -- the write pipeline ----------------------------------------------------------------

    def _mark(self, ids: list[str], notice: str) -> None:
        self._dirty.update(dict.fromkeys(ids))
        if self._notices and self._notices[-1][0] == notice:
            self._notices[-1][1].extend(ids)
        else:
            self._notices.append((notice, list(ids)))
        self._schedule()

    def _schedule(self) -> None:
        if self._in_flight is None and not self._flush_timer.isActive():
            self._flush_timer.start()

    def _flush(self, *, wait: bool = False) -> None:
        if not (self._dirty or self._removed or self._notices):
            return
        if self._in_flight is not None and not wait:
            return
        jobs = self._jobs
        upsert = [j for j in map(jobs.get, self._dirty) if j is not None]
        history, removed, notices = self._new_history, self._removed, self._notices
        self._dirty, self._new_history, self._removed, self._notices = {}, [], [], []

        def write() -> Told:
            self._store.write(upsert=upsert, history=history, remove=removed)
            return tell(notices, upsert)

        if self._executor is None or wait:
            future: Future[Told] = Future()
            try:
                future.set_result(write())
            except (sqlite3.Error, OSError) as exc:  # reported through write_failed below
                future.set_exception(exc)
            self._in_flight = future
            self._on_write_done(Written(future, notices, upsert))
            return
        future = self._executor.submit(write)
        self._in_flight = future
        future.add_done_callback(lambda f: self._write_done.emit(Written(f, notices, upsert)))

    def _on_write_done(self, written: Written) -> None:
        self._in_flight = None
        error = written.future.exception()
        if error is not None:
            log.error("could not save the watch list: %s", error)
            self.write_failed.emit(f"Could not save the watch list: {error}")
            told = tell(written.notices, written.upsert)  # shown all the same, as before
        else:
            told = written.future.result()
        for kind, items in told:
            if kind == "removed":
                self.jobs_removed.emit(items)
            elif items:
                (self.jobs_added if kind == "added" else self.jobs_changed).emit(items)
        if self._dirty or self._removed or self._notices:
            self._flush_timer.start()

    @property
    def idle(self) -> bool:
        """True when every change has been written."""
        return self._in_flight is None and not (self._dirty or self._removed or self._notices)

    def flush_now(self) -> None:
        """Write whatever is pending and wait for it (at quit)."""
        self._flush_timer.stop()
        if self._in_flight is not None:
            self._in_flight.exception()  # wait; its notices still arrive through the event loop
        self._flush(wait=True)
