"""``jobmonitor download JOB_ID...``: fetch each job, save its result file, print the saved paths."""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import ApiError, AuthError, InvalidJobId
from jobmonitor.api.ids import normalize_job_id
from jobmonitor.api.models import JobSnapshot, JobStatus
from jobmonitor.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_base_url_argument,
    http_pool,
    make_status_client,
    printable,
    resolve_api_key,
    resolve_base_url,
)
from jobmonitor.cli.status_cmd import describe_error
from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import (
    DownloadProgress,
    DownloadState,
    format_eta,
    human_size,
)

STATUS_CONCURRENCY = 4  # job look-ups in flight at once (they share the API's request budget)
LOOKUP_TRIES = 4  # a job look-up that fails for a transient reason is tried this often
MAX_LOOKUP_PAUSE = 60.0  # seconds, at most, between two tries (a long Retry-After is cut)
LOOKUP_BACKOFF = 1.0  # seconds before the second try, doubling for each one after


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "download",
        help="save the result files of finished jobs",
        description="Fetch each job and save its result file into DIR (default: the current "
        "folder), never overwriting a file: a name already taken gets a ' (1)' suffix. An "
        "interrupted download resumes when run again. Prints one saved path per line; a "
        "progress bar goes to stderr on a terminal. Exit 0 when every file was saved, 1 when "
        "any job had no file to save or a download failed, 2 on a usage or key error.",
    )
    parser.add_argument("job_ids", metavar="JOB_ID", nargs="+")
    add_base_url_argument(parser)
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        type=Path,
        help="folder to save into (created if missing; default: the current folder)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    job_ids: list[str] = []
    for raw in args.job_ids:
        try:
            job_id = normalize_job_id(raw)
        except InvalidJobId as exc:
            raise CliError(f"invalid job id {raw!r}: {exc.reason}", EXIT_USAGE) from None
        if job_id not in job_ids:
            job_ids.append(job_id)
    base_url = resolve_base_url(args)
    key = resolve_api_key(base_url)
    folder: Path = args.output if args.output is not None else Path.cwd()
    if folder.exists() and not folder.is_dir():  # said before anything is asked of the API
        raise CliError(f"{folder} is a file, not a folder to save into", EXIT_USAGE)
    # The progress line rewrites itself with escape codes: not on a dumb terminal.
    smart = sys.stderr.isatty() and os.environ.get("TERM", "") != "dumb"
    bar = ProgressLine(sys.stderr) if smart else None
    return asyncio.run(download_jobs(job_ids, base_url, key, folder, bar=bar))


async def download_jobs(
    job_ids: list[str],
    base_url: str,
    key: str | None,
    folder: Path,
    *,
    bar: ProgressLine | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    pool = http_pool(timeout=30.0)
    http_for = pool.for_url
    client = make_status_client(http_for(base_url), base_url, key)

    async def refresh(job_id: str) -> str | None:
        snapshot = await client.get_job(job_id)
        return snapshot.result.file if snapshot.result is not None else None

    manager = DownloadManager(http_for, base_url, lambda: key, refresh)
    if bar is not None:
        manager.add_listener(bar.update)
    lookups = asyncio.Semaphore(STATUS_CONCURRENCY)
    key_rejected = False

    def say(line: str, stream: TextIO) -> None:
        if bar is not None:
            bar.clear()
        print(printable(line), file=stream, flush=True)

    async def one(job_id: str) -> bool:
        nonlocal key_rejected
        try:
            async with lookups:
                snapshot = await _get_job(client, job_id, err if bar is None else None)
        except ApiError as exc:
            key_rejected = key_rejected or isinstance(exc, AuthError)
            say(f"jobmonitor: {job_id}: {describe_error(exc)}", err)
            return False
        file_url = snapshot.result.file if snapshot.result is not None else None
        if snapshot.status is not JobStatus.SUCCESS:
            state = snapshot.raw_status or snapshot.status.value
            say(f"jobmonitor: {job_id}: the job has not succeeded (status: {state})", err)
            return False
        if not file_url:
            say(f"jobmonitor: {job_id}: the job's result has no file to download", err)
            return False
        final = await manager.start(job_id, file_url, folder).wait()
        if final.state is DownloadState.DONE and final.path is not None:
            say(str(final.path), out)
            return True
        say(f"jobmonitor: {job_id}: {final.message}", err)
        return False

    try:
        results = await asyncio.gather(*(one(job_id) for job_id in job_ids))
    finally:
        await manager.aclose()  # after Ctrl-C: each .part is kept, a new run resumes it
        if bar is not None:
            bar.clear()
        await pool.aclose()
    if key_rejected:
        return EXIT_USAGE
    return EXIT_OK if all(results) else EXIT_FAILED


async def _get_job(client: StatusClient, job_id: str, notes: TextIO | None) -> JobSnapshot:
    """The job's answer; a transient failure (network, 5xx, garbage, 429) is tried again a few
    times, after the server's Retry-After or a growing pause, before it counts."""
    for attempt in range(LOOKUP_TRIES):
        try:
            return await client.get_job(job_id)
        except ApiError as exc:
            if not exc.transient or attempt == LOOKUP_TRIES - 1:
                raise
            hint = getattr(exc, "retry_after", None)
            delay = min(float(hint) if hint else LOOKUP_BACKOFF * 2.0**attempt, MAX_LOOKUP_PAUSE)
            if notes is not None:
                print(
                    printable(f"note: {job_id}: {exc}; trying again in {delay:.0f} s"), file=notes
                )
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


class ProgressLine:
    """One self-rewriting line on a terminal: files done, bytes, speed, time left, a bar."""

    def __init__(
        self, stream: TextIO, *, interval: float = 0.2, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream
        self._interval = interval
        self._clock = clock
        self._last = float("-inf")
        self._latest: dict[str, DownloadProgress] = {}
        self._shown = False

    def update(self, progress: DownloadProgress) -> None:
        self._latest[progress.job_id] = progress
        now = self._clock()
        if now - self._last >= self._interval or progress.state.terminal:
            self._last = now
            self._draw()

    def render(self, width: int) -> str:
        items = list(self._latest.values())
        done = sum(p.state is DownloadState.DONE for p in items)
        got = sum(p.bytes_done for p in items)
        totals = [p.total for p in items]
        total = sum(t for t in totals if t is not None) if None not in totals else None
        speed = sum(p.speed or 0.0 for p in items if p.state is DownloadState.SAVING)
        text = f"{done}/{len(items)} files  {human_size(got)}"
        if total:
            text += f" of {human_size(total)}"
        if speed:
            text += f"  {human_size(speed)}/s"
            if total:
                text += f"  {format_eta(max(total - got, 0) / speed)} left"
        room = width - len(text) - 10  # what the bar adds: '  [', '] ', '100%', one spare column
        if total and room >= 10:
            fraction = min(got / total, 1.0)
            filled = int(room * fraction)
            text += f"  [{'#' * filled}{'.' * (room - filled)}] {fraction * 100:.0f}%"
        return text[: max(width - 1, 0)]

    def _draw(self) -> None:
        width = shutil.get_terminal_size((80, 24)).columns
        self._stream.write("\r" + self.render(width) + "\x1b[K")
        self._stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()
            self._shown = False
