"""Uploads a crash leaves half-submitted: noted before the file goes, settled once a job takes it
(or it is deleted), and deleted at the next start, over the simulator and a real SQLite file."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from apihelpers import KEY

from jobmonitor.api.errors import RequestRefused
from jobmonitor.api.submit import ToolClient
from jobmonitor.api.uploads import UploadClient
from jobmonitor.core.submit import Submitter
from jobmonitor.core.watchlist.db import JobStore
from jobmonitor.desktop.upload_journal import StoredUploadJournal
from jobmonitor.sim import SimServer, SimWorld


@pytest.fixture
def store(tmp_path: Path) -> Iterator[JobStore]:
    store = JobStore(tmp_path / "jobs.db")
    yield store
    store.close()


@pytest.fixture
def db_thread() -> Iterator[ThreadPoolExecutor]:
    pool = ThreadPoolExecutor(max_workers=1)
    yield pool
    pool.shutdown(wait=True)


def make(
    http: httpx.AsyncClient, base_url: str, store: JobStore, db_thread: ThreadPoolExecutor
) -> tuple[Submitter, StoredUploadJournal]:
    journal = StoredUploadJournal(store, db_thread, base_url)
    submitter = Submitter(
        ToolClient(http, base_url, api_key=KEY),
        UploadClient(http, base_url, api_key=KEY),
        journal=journal,
    )
    return submitter, journal


def settle(db_thread: ThreadPoolExecutor) -> None:
    db_thread.submit(lambda: None).result(5)  # the journal's writes are queued before this


async def test_a_submission_settles_its_upload_whether_taken_or_refused(
    http: httpx.AsyncClient,
    server: SimServer,
    world: SimWorld,
    store: JobStore,
    db_thread: ThreadPoolExecutor,
    tmp_path: Path,
) -> None:
    source = tmp_path / "data.json"
    source.write_text("{}")
    submitter, _ = make(http, server.api_url, store, db_thread)
    plan = submitter.plan("json-formatter-api", [str(source)])
    noted: list[list[str]] = []

    def progress(sent: int, total: int) -> None:  # while the file goes, the upload is noted
        settle(db_thread)
        noted.append([name for _, name, _ in store.pending_uploads(server.api_url)])

    await submitter.submit(plan, plan.items[0], progress=progress)
    assert noted and noted[-1] == ["data.json"]
    refused = submitter.plan("json-prettifier-api", [str(source)])  # no such route: refused
    with pytest.raises(RequestRefused):
        await submitter.submit(refused, refused.items[0])
    settle(db_thread)
    assert store.pending_uploads(server.api_url) == []
    assert len(world.uploads.all()) == 1  # the taken one is the job's input; the other deleted


async def test_leftovers_of_an_earlier_run_are_deleted_and_a_failed_delete_is_kept(
    http: httpx.AsyncClient,
    server: SimServer,
    world: SimWorld,
    store: JobStore,
    db_thread: ThreadPoolExecutor,
) -> None:
    # An earlier run asked for an upload and died before any job took it.
    first, journal = make(http, server.api_url, store, db_thread)
    ticket = await first.uploads.request_upload("orders.json")
    journal.opened(ticket.upload_id, "orders (1).json")
    store.open_upload("upl_gone_already", server.api_url, "old.json", 1.0)  # expired since
    settle(db_thread)

    again, journal = make(http, server.api_url, store, db_thread)
    ours = await again.uploads.request_upload("mine.json")
    journal.opened(ours.upload_id, "mine.json")  # this run's, still being sent: not a leftover
    leftovers = await journal.leftovers()
    assert sorted(leftovers) == sorted(
        [(ticket.upload_id, "orders (1).json"), ("upl_gone_already", "old.json")]
    )
    deleted, failed = await again.delete_leftovers([u for u, _ in leftovers])
    assert sorted(deleted) == sorted([ticket.upload_id, "upl_gone_already"]) and failed == []
    settle(db_thread)
    assert [u.upload_id for u in world.uploads.all()] == [ours.upload_id]
    assert [u for u, _, _ in store.pending_uploads(server.api_url)] == [ours.upload_id]

    # A delete that cannot be done now (the server is gone) stays for the next start.
    dead, _ = make(http, "http://127.0.0.1:9", store, db_thread)
    store.open_upload("upl_later", "http://127.0.0.1:9", "later.json", 2.0)
    deleted, failed = await dead.delete_leftovers(["upl_later"])
    settle(db_thread)
    assert deleted == [] and failed == ["upl_later"]
    assert [u for u, _, _ in store.pending_uploads("http://127.0.0.1:9")] == ["upl_later"]
