"""What changes a watched job: the scheduler's observations (``apply_event``), and the shapes the
watch list trades with the scheduler (``Poller``), with undo (``RemovedJobs``) and with its
writer thread (``Told``, ``Written``)."""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Protocol

from jobmonitor.core.state import JobEvent, JobState
from jobmonitor.core.watchlist.records import HistoryEntry, WatchedJob


class Poller(Protocol):
    """What the watch list needs of the poll scheduler (``core.scheduler.PollScheduler``)."""

    def watch(self, job_id: str, *, state: JobState = JobState.PENDING) -> None: ...
    def watch_many(self, job_ids: Iterable[str]) -> None: ...
    def unwatch_many(self, job_ids: Iterable[str]) -> None: ...


@dataclass(frozen=True, slots=True)
class RemovedJobs:
    """What a removal took away, so that undo can put it back exactly."""

    jobs: tuple[WatchedJob, ...]
    history: dict[str, tuple[HistoryEntry, ...]]


def apply_event(job: WatchedJob, event: JobEvent) -> WatchedJob:
    """The record after one observation by the scheduler."""
    changes: dict[str, object] = {"state": event.new, "last_checked": event.observed_at}
    if event.snapshot is not None:
        snap = event.snapshot
        changes.update(
            snapshot=snap,
            http_status=snap.http_status,
            created_at=snap.created_at if snap.created_at is not None else job.created_at,
            updated_at=snap.updated_at if snap.updated_at is not None else job.updated_at,
            error_code=snap.error.code if snap.error is not None else None,
        )
    if event.error is not None:
        err = event.error
        changes.update(
            error_body=err.error_body(), http_status=err.http_status, error_code=err.code
        )
    return replace(job, **changes)  # type: ignore[arg-type]


Told = list[tuple[str, list[WatchedJob] | list[str]]]  # what to emit, in order


def tell(notices: list[tuple[str, list[str]]], written: list[WatchedJob]) -> Told:
    """The records each notice names (a removal names ids), each once: built on the writer
    thread after the write, as 66,000 records of a big paste held the GUI thread 20-40 ms."""
    records = {j.job_id: j for j in written}
    told: Told = []
    for kind, ids in notices:
        if kind == "removed":
            told.append((kind, ids))
        else:
            told.append((kind, [records[j] for j in dict.fromkeys(ids) if j in records]))
    return told


@dataclass(frozen=True, slots=True)
class Written:
    """A finished write (its result: what to tell the UI) and what it wrote."""

    future: Future[Told]
    notices: list[tuple[str, list[str]]]
    upsert: list[WatchedJob]
