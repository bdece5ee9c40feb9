"""The uploads a submission asked for and has not settled, kept in the watch-list database.

A submission uploads the file, then asks the tool to take it; when either step fails, the
submitter deletes the upload at once. A crash (or a kill) between the two leaves an upload that no
job uses: the journal remembers it, and the next start with a key deletes it. Part of the
composition root: written on the database thread, in order, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any

from jobmonitor.core.watchlist.db import JobStore

log = logging.getLogger(__name__)


class StoredUploadJournal:
    """``core.submit.UploadJournal`` in SQLite, for one API base URL."""

    def __init__(
        self,
        store: JobStore,
        db_thread: Executor,
        base_url: str,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._db_thread = db_thread
        self.base_url = base_url
        self._clock = clock
        self.this_session: set[str] = set()  # opened by this run: never leftovers

    def opened(self, upload_id: str, name: str) -> None:
        self.this_session.add(upload_id)
        self._write(self._store.open_upload, upload_id, self.base_url, name, self._clock())

    def settled(self, upload_id: str) -> None:
        self._write(self._store.settle_upload, upload_id)

    async def leftovers(self) -> list[tuple[str, str]]:
        """(id, name) of the uploads earlier runs left unsettled on this base URL."""
        rows = await asyncio.wrap_future(
            self._db_thread.submit(self._store.pending_uploads, self.base_url)
        )
        return [
            (upload_id, name) for upload_id, name, _ in rows if upload_id not in self.this_session
        ]

    def _write(self, call: Callable[..., None], *args: Any) -> None:
        try:
            self._db_thread.submit(call, *args).add_done_callback(_log_failure)
        except RuntimeError:  # shutting down: the next start cannot know of this one
            log.info("pending upload not noted (closing)")


def _log_failure(future: Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("could not note a pending upload: %s", future.exception())
