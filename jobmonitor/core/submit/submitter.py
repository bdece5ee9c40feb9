"""Submitter: check every input first, then upload and submit, leaving nothing half-submitted."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from jobmonitor.api.errors import ApiError, InvalidInput, UploadNotFound
from jobmonitor.api.submit import MAX_BODY_MODE_BYTES, Accepted, ToolClient, check_source_url
from jobmonitor.api.tools import Catalogue, Tool, load_catalogue
from jobmonitor.api.uploads import Progress, UploadClient, UploadTicket, fit_file_name
from jobmonitor.core.submit.gate import OpenGate, RequestGate, through_gate
from jobmonitor.core.submit.model import (
    NoJournal,
    Plan,
    Planned,
    PlanProblem,
    Submission,
    UploadJournal,
)

T = TypeVar("T")
log = logging.getLogger(__name__)
CLEANUP_TIMEOUT = 10.0  # seconds a pending upload's deletion may take after a failure


def _looks_like_url(source: str) -> bool:
    head = source.strip().lower()
    return "://" in head[:16] or head.startswith(("http:", "https:"))


class Submitter:
    """Plans and runs submissions of one API (its tool and upload clients share the key)."""

    def __init__(
        self,
        tools: ToolClient,
        uploads: UploadClient,
        *,
        gate: RequestGate | None = None,
        catalogue: Catalogue | None = None,
        journal: UploadJournal | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tools = tools
        self.uploads = uploads
        self.gate: RequestGate = gate if gate is not None else OpenGate()
        self.journal: UploadJournal = journal if journal is not None else NoJournal()
        self.catalogue = catalogue or load_catalogue()
        self._clock = clock
        self.cleanup_failures: list[ApiError] = []  # pending uploads that could not be deleted

    # -- planning: nothing is sent ---------------------------------------------------------
    def plan(
        self,
        tool_slug: str,
        sources: Sequence[str],
        options: Mapping[str, str] | None = None,
        *,
        body: bool = False,
    ) -> Plan:
        """Check the tool, its options and every input. Raises InvalidInput for a bad tool or
        option (nothing can be submitted); a bad input is a ``PlanProblem`` of its own."""
        tool = self.catalogue.resolve(tool_slug)
        given = dict(options or {})
        headers = tool.headers(given)
        items: list[Planned] = []
        problems: list[PlanProblem] = []
        for source in sources:
            try:
                items.append(self._plan_one(tool, source, body=body))
            except InvalidInput as exc:
                problems.append(PlanProblem(source, exc))
        if not sources:
            problems.append(PlanProblem("", InvalidInput("no file or URL to submit")))
        return Plan(tool, headers, given, tuple(items), tuple(problems))

    def _plan_one(self, tool: Tool, source: str, *, body: bool) -> Planned:
        if _looks_like_url(source):
            url = check_source_url(source)
            if body:
                raise InvalidInput(f"{source!r}: body mode sends a file's content, not a URL")
            name = url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
            if "." in name and not tool.accepts(name):
                tool.check_input(name)
            return Planned(source=source, mode="url", label=url)
        path = Path(source).expanduser()
        try:
            info = path.stat()
        except OSError as exc:
            raise InvalidInput(
                f"{source!r}: {exc.strerror or 'cannot be read'}", code="FILE_NOT_FOUND"
            ) from None
        if not path.is_file():
            raise InvalidInput(f"{source!r} is not a file", code="NOT_A_FILE")
        if not os.access(path, os.R_OK):
            raise InvalidInput(f"{source!r} cannot be read (permissions)", code="FILE_UNREADABLE")
        if info.st_size == 0:
            raise InvalidInput(f"{source!r} is empty", code="EMPTY_FILE")
        tool.check_input(path.name)
        if body:
            if info.st_size > MAX_BODY_MODE_BYTES:
                raise InvalidInput(
                    f"{source!r} is {info.st_size} bytes: body mode takes at most "
                    f"{MAX_BODY_MODE_BYTES // 1024} KiB (leave out --body to upload it)",
                    code="BODY_TOO_LARGE",
                )
            return Planned(source, "body", path.name, path=path, size=info.st_size)
        fitted = fit_file_name(path.name)
        return Planned(source, "file", path.name, path=path, upload_name=fitted, size=info.st_size)

    # -- running ---------------------------------------------------------------------------
    async def submit(
        self,
        plan: Plan,
        item: Planned,
        *,
        progress: Progress | None = None,
        cancel: asyncio.Event | None = None,
    ) -> Submission:
        """Run one planned item. Raises ApiError; a file's pending upload is deleted first."""
        tool, options = plan.tool, plan.options
        if item.mode == "url":
            accepted = await self._gated(lambda: self.tools.submit_url(tool, item.label, options))
            return _submission(tool, item, accepted.job_id, accepted.status, accepted, None)
        assert item.path is not None
        if item.mode == "body":
            content = await asyncio.to_thread(item.path.read_bytes)
            result = await self._gated(lambda: self.tools.submit_body(tool, content, options))
            local_id = f"body-{uuid.uuid4().hex[:24]}"  # body mode has no job: a local record
            return Submission(
                tool=tool.slug,
                source=item.source,
                label=item.label,
                mode="body",
                job_id=local_id,
                status="success",
                request_id=result.result.request_id,
                snapshot=result.snapshot(local_id),
                raw=result.raw,
            )
        assert item.upload_name is not None
        name = item.upload_name
        ticket = await self._gated(lambda: self.uploads.request_upload(name))
        self.journal.opened(ticket.upload_id, item.label)
        try:
            await self.uploads.send_file(ticket, item.path, progress=progress, cancel=cancel)
            accepted = await self._gated(lambda: self.tools.submit_file(tool, ticket.key, options))
        except BaseException:
            await self._discard(ticket)
            raise
        self.journal.settled(ticket.upload_id)
        return _submission(tool, item, accepted.job_id, accepted.status, accepted, ticket)

    async def _gated(self, call: Callable[[], Awaitable[T]]) -> T:
        return await through_gate(self.gate, call, clock=self._clock)

    async def _discard(self, ticket: UploadTicket) -> None:
        """Delete a pending upload after a failure, shielded from the caller's cancel."""

        async def delete() -> None:
            with contextlib.suppress(ApiError):
                try:
                    await self._delete(ticket.upload_id)
                except ApiError as exc:
                    self.cleanup_failures.append(exc)
                    raise

        task = asyncio.ensure_future(asyncio.wait_for(delete(), CLEANUP_TIMEOUT))
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.shield(task)

    async def _delete(self, upload_id: str) -> None:
        """Delete a pending upload; settled once it is gone (a 404 says it is gone already).
        One that could not be deleted stays in the journal, for the next start to try again."""
        with contextlib.suppress(UploadNotFound):
            await through_gate(
                self.gate, lambda: self.uploads.delete_upload(upload_id), clock=self._clock
            )
        self.journal.settled(upload_id)

    async def delete_leftovers(self, upload_ids: Sequence[str]) -> tuple[list[str], list[str]]:
        """Delete uploads a crash left half-submitted (from the journal): (deleted, failed)."""
        deleted: list[str] = []
        failed: list[str] = []
        for upload_id in upload_ids:
            try:
                await asyncio.wait_for(self._delete(upload_id), CLEANUP_TIMEOUT)
            except (ApiError, TimeoutError) as exc:
                log.info("a leftover upload could not be deleted (next start tries again): %s", exc)
                failed.append(upload_id)
            else:
                deleted.append(upload_id)
        return deleted, failed


def _submission(
    tool: Tool,
    item: Planned,
    job_id: str,
    status: str,
    accepted: Accepted,
    ticket: UploadTicket | None,
) -> Submission:
    return Submission(
        tool=tool.slug,
        source=item.source,
        label=item.label,
        mode=item.mode,
        job_id=job_id,
        status=status,
        status_url=accepted.status_url,
        request_id=accepted.request_id,
        upload_id=ticket.upload_id if ticket else None,
        upload_key=ticket.key if ticket else None,
        raw=accepted.raw,
    )
