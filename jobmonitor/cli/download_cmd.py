"""``jobmonitor download JOB_ID...``: fetch each job, save its result file, print the saved paths."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from jobmonitor.api.client import StatusClient
from jobmonitor.api.errors import ApiError, AuthError
from jobmonitor.api.models import JobSnapshot, JobStatus
from jobmonitor.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_base_url_argument,
    checked_job_ids,
    client_error_object,
    describe_error,
    error_object,
    http_pool,
    make_status_client,
    printable,
    resolve_api_key,
    resolve_base_url,
)
from jobmonitor.core.downloads.manager import DownloadManager
from jobmonitor.core.downloads.model import (
    DownloadProgress,
    DownloadState,
    format_eta,
    human_size,
)
from jobmonitor.core.watchlist.records import SavedFile
from jobmonitor.core.watchlist.saved_files import SavedFiles

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
        "interrupted download resumes when run again; a file saved before (by this command or "
        "the app) into the same folder and still there as saved is not fetched again. Prints "
        "one saved path per line; a progress bar goes to stderr on a terminal. Exit 0 when "
        "every file was saved, 1 when any job had no file to save or a download failed, 2 on a "
        "usage or key error.",
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
    parser.add_argument(
        "--json",
        action="store_true",
        help='one JSON object per job: {"status": "saved" | "already_saved", "job_id", "path"} '
        "or the command line's one error shape",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    job_ids = checked_job_ids(args.job_ids, as_json=args.json)  # all before anything is sent
    base_url = resolve_base_url(args)
    key = resolve_api_key(base_url)
    folder: Path = args.output if args.output is not None else Path.cwd()
    if folder.exists() and not folder.is_dir():  # said before anything is asked of the API
        raise CliError(f"{folder} is a file, not a folder to save into", EXIT_USAGE)
    # The progress line rewrites itself with escape codes: not on a dumb terminal.
    smart = sys.stderr.isatty() and os.environ.get("TERM", "") != "dumb"
    bar = ProgressLine(sys.stderr) if smart else None
    return asyncio.run(
        download_jobs(
            job_ids, base_url, key, folder, bar=bar, as_json=args.json, saved=SavedFiles()
        )
    )


async def download_jobs(
    job_ids: list[str],
    base_url: str,
    key: str | None,
    folder: Path,
    *,
    bar: ProgressLine | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
    as_json: bool = False,
    saved: SavedFiles | None = None,
) -> int:
    """Save each job's result file into ``folder``; ``saved`` (the watch list's record of saved
    files) skips a file saved there before and still there as saved, and records each new one."""
    out = out or sys.stdout
    err = err or sys.stderr
    target = await asyncio.to_thread(folder.resolve)  # where saved files are compared
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

    def emit(record: dict[str, Any], line: str) -> None:
        """JSON on stdout, or a line: a path on stdout, a problem on stderr (one prefix)."""
        if as_json:
            say(json.dumps(record, ensure_ascii=False), out)
        elif record["status"] == "error":
            say(f"jobmonitor: {record['job_id']}: {line}", err)
        else:
            say(line, out)

    def refused(job_id: str, code: str, message: str) -> bool:
        emit(client_error_object(job_id, code, message), message)
        return False

    async def one(job_id: str) -> bool:
        nonlocal key_rejected
        before = await asyncio.to_thread(saved.get, job_id) if saved is not None else None
        if before is not None and before.path.parent == target:
            if not as_json:
                say(f"jobmonitor: {job_id}: already saved, not fetched again", err)
            shown = str(before.path)
            emit({"status": "already_saved", "job_id": job_id, "path": shown}, shown)
            return True
        try:
            async with lookups:
                snapshot = await _get_job(client, job_id, err if bar is None else None)
        except ApiError as exc:
            key_rejected = key_rejected or isinstance(exc, AuthError)
            emit(error_object(exc, job_id=job_id), describe_error(exc, base_url))
            return False
        file_url = snapshot.result.file if snapshot.result is not None else None
        if snapshot.status is not JobStatus.SUCCESS:
            state = snapshot.raw_status or snapshot.status.value
            return refused(job_id, "NOT_SUCCEEDED", f"the job has not succeeded (status: {state})")
        if not file_url:
            return refused(job_id, "NO_RESULT_FILE", "the job's result has no file to download")
        final = await manager.start(job_id, file_url, folder).wait()
        if final.state is DownloadState.DONE and final.path is not None:
            path = target / final.path.name
            if saved is not None:
                record = SavedFile(job_id, path, final.bytes_done, time.time())
                await asyncio.to_thread(saved.record, record)
            emit({"status": "saved", "job_id": job_id, "path": str(path)}, str(final.path))
            return True
        return refused(job_id, "DOWNLOAD_FAILED", final.message)

    try:
        results = await asyncio.gather(*(one(job_id) for job_id in job_ids))
    finally:
        await manager.aclose()  # after Ctrl-C: each .part is kept, a new run resumes it
        if bar is not None:
            bar.clear()
        await pool.aclose()
        if saved is not None:
            saved.close()
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
                what = describe_error(exc)
                print(
                    printable(f"jobmonitor: {job_id}: {what}; trying again in {delay:.0f} s"),
                    file=notes,
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
