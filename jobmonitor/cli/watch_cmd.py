"""``jobmonitor watch JOB_ID... | -``: poll until every job is terminal; a live table, lines or JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from datetime import datetime
from typing import Any, TextIO

from jobmonitor.api.errors import ApiError
from jobmonitor.api.ids import MAX_TEXT_CHARS, parse_job_ids
from jobmonitor.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_base_url_argument,
    auth_hint,
    client_error_object,
    error_object,
    http_pool,
    job_error_object,
    make_status_client,
    printable,
    resolve_api_key,
    resolve_base_url,
    saved_settings_may_hold,
)
from jobmonitor.core.http import HttpPool
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import ApiCondition, ApiStatus, JobEvent, JobState

_WRONG_URL_CODES = frozenset({"ROUTE_NOT_FOUND", "UNSAFE_REDIRECT"})
REDRAW_EVERY = 0.5  # seconds between live-table redraws (countdowns), sooner after events
_SHORT = {JobState.PENDING: "waiting", JobState.NOT_FOUND: "not found"}  # table column width


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "watch",
        help="poll jobs until every one is finished",
        description="Poll jobs until every one is terminal, within one shared request budget. "
        "Exit 0 when every job succeeded, 1 when any failed or was refused (400/403/404), "
        "2 on usage or key errors or a base URL that is no Status API, 130 when interrupted.",
    )
    parser.add_argument(
        "job_ids", nargs="+", metavar="JOB_ID", help="job ids, or - to read them from stdin"
    )
    add_base_url_argument(parser)
    parser.add_argument(
        "--rate-limit",
        type=int,
        metavar="N",
        help="requests per minute allowed by the API (default: the saved setting, else learned)",
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object per state change, nothing else"
    )
    parser.add_argument(
        "--timeout",
        type=float,
        metavar="S",
        help="give up after S seconds (exit 1 when a job is still unfinished then)",
    )
    parser.add_argument(
        "--exit-status",
        action="store_true",
        help="accepted for scripts that expect it (the exit status always tells the outcome)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    job_ids = _read_ids(args.job_ids, as_json=args.json)
    if args.rate_limit is not None and args.rate_limit <= 0:
        raise CliError("--rate-limit must be a positive number of requests per minute")
    base_url = resolve_base_url(args)
    key = resolve_api_key(base_url)
    if args.timeout is not None and args.timeout <= 0:
        raise CliError("--timeout must be a positive number of seconds")
    rate_limit = args.rate_limit if args.rate_limit is not None else _saved_rate_limit()
    view = make_view(args.json)
    return asyncio.run(
        watch_jobs(job_ids, base_url, key, rate_limit, view, give_up_after=args.timeout)
    )


def make_view(as_json: bool) -> _View:
    """JSON lines, a live table on a terminal, else one line per change."""
    if as_json:
        return _JsonView(sys.stdout)
    # A dumb terminal cannot move the cursor to redraw the table: lines instead.
    if sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb":
        return _TableView(sys.stdout)
    return _LineView(sys.stdout)


async def watch_jobs(
    job_ids: list[str],
    base_url: str,
    key: str | None,
    rate_limit: int | None,
    view: _View,
    *,
    give_up_after: float | None = None,
    pool: HttpPool | None = None,
) -> int:
    """Follow the jobs until each is finished (or ``give_up_after`` seconds): the exit code.
    ``pool``: the HTTP clients to use (default: the command's own, closed at the end)."""
    try:
        async with asyncio.timeout(give_up_after):
            return await _watch(job_ids, base_url, key, rate_limit, view, pool or http_pool())
    except TimeoutError:
        raise CliError(
            f"timed out after {give_up_after:g} s before every job finished", EXIT_FAILED
        ) from None


def _read_ids(tokens: list[str], *, as_json: bool = False) -> list[str]:
    texts = [_read_stdin() if token == "-" else token for token in tokens]
    parsed = parse_job_ids("\n".join(texts))
    if parsed.rejected:
        bad = parsed.rejected[0]
        if as_json:
            refused = client_error_object(bad.text, "INVALID_JOB_ID", bad.reason)
            print(json.dumps(refused, ensure_ascii=False), flush=True)
        others = parsed.rejected_count - 1
        more = f" (and {others:,} more)" if others else ""
        raise CliError(f"invalid job id {bad.text[:60]!r}: {bad.reason}{more}", EXIT_USAGE)
    if not parsed.ids:
        raise CliError("no job ids given", EXIT_USAGE)
    return list(parsed.ids)


def _read_stdin() -> str:
    """Stdin up to the cap a paste has (8 M characters, over 200,000 ids); more is refused
    before anything is parsed or sent, rather than read whole (50 MB took 32 s and 1.9 GB)."""
    text = sys.stdin.read(MAX_TEXT_CHARS + 1)
    if len(text) > MAX_TEXT_CHARS:
        raise CliError(
            f"more than {MAX_TEXT_CHARS >> 20} M characters of job ids on stdin "
            f"(the limit, over 200,000 ids): watch them in parts",
            EXIT_USAGE,
        )
    return text


def _saved_rate_limit() -> int | None:
    if not saved_settings_may_hold("api"):
        return None  # nothing saved: no need to load Qt to read it
    from jobmonitor.core.settings import Settings

    return Settings().rate_limit


async def _watch(
    job_ids: list[str],
    base_url: str,
    key: str | None,
    rate_limit: int | None,
    view: _View,
    http: HttpPool,
) -> int:
    key_rejected = asyncio.Event()
    misconfigured = asyncio.Event()
    wrong: list[ApiError] = []  # the answer that shows the base URL is not a Status API
    answered = False

    def on_api(status: ApiStatus) -> None:
        view.api_changed(status)
        if status.condition is ApiCondition.KEY_REJECTED:
            key_rejected.set()

    def on_job(event: JobEvent) -> None:
        # Until the API has answered once, an answer that says "no Status API here" (no route,
        # a redirect elsewhere) is a wrong base URL: say so and stop, instead of retrying forever.
        nonlocal answered
        error = event.error
        if error is None or event.new.terminal:
            answered = True
        elif not answered and error.code in _WRONG_URL_CODES:
            wrong.append(error)
            misconfigured.set()

    async with http as pool:
        client = make_status_client(pool.for_url(base_url), base_url, key)
        # The loop's own clock (monotonic on every loop), so the plan and the sleeps agree
        # under any loop, a test's virtual-time one included.
        scheduler = PollScheduler(
            client, rate_limit=rate_limit, clock=asyncio.get_running_loop().time
        )
        view.bind(scheduler, job_ids)
        scheduler.add_listener(view.job_event)
        scheduler.add_listener(on_job)
        scheduler.add_api_listener(on_api)
        scheduler.watch_many(job_ids)
        owned = [
            asyncio.create_task(scheduler.run()),
            asyncio.create_task(scheduler.wait_all_terminal()),
            asyncio.create_task(key_rejected.wait()),
            asyncio.create_task(misconfigured.wait()),
            asyncio.create_task(view.refresh_loop()),
        ]
        try:
            await asyncio.wait(owned, return_when=asyncio.FIRST_COMPLETED)
            if owned[0].done():
                owned[0].result()  # run() only returns early by raising
        finally:
            scheduler.stop()
            for task in owned[1:]:
                task.cancel()
            await asyncio.gather(*owned, return_exceptions=True)
            view.close()
    if key_rejected.is_set():
        raise CliError(
            f"the API rejected the key (401); check it with: {auth_hint('status', base_url)}",
            EXIT_USAGE,
        )
    if wrong:
        raise CliError(
            printable(
                f"{base_url} does not answer like the Status API ({wrong[0]}); check --base-url"
            ),
            EXIT_USAGE,
        )
    states = [scheduler.state_of(job_id) for job_id in job_ids]
    return EXIT_OK if all(s is JobState.SUCCESS for s in states) else EXIT_FAILED


def _detail(event: JobEvent) -> str:
    """One line about the job for people: message, error, or result file (terminal-safe)."""
    return printable(_raw_detail(event))


def _raw_detail(event: JobEvent) -> str:
    snap = event.snapshot
    if snap is not None and snap.error is not None:
        err = snap.error
        where = ", ".join(
            f"{name} {value}"
            for name, value in (("line", err.line), ("column", err.column))
            if value
        )
        return f"{err.code}: {err.message}" + (f" ({where})" if where else "")
    if snap is not None and snap.result is not None:
        return snap.result.file or "finished"
    if event.error is not None:
        prefix = "" if event.new.terminal else "retrying after "
        return f"{prefix}{event.error}"
    if snap is not None:
        status = "" if snap.status.value == snap.raw_status else f"status {snap.raw_status!r}: "
        return status + (snap.message or "")
    return ""


class _View:
    """How the watch shows itself; the scheduler's listeners call in here."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.scheduler: PollScheduler | None = None
        self.job_ids: list[str] = []

    def bind(self, scheduler: PollScheduler, job_ids: list[str]) -> None:
        self.scheduler, self.job_ids = scheduler, job_ids

    def job_event(self, event: JobEvent) -> None: ...

    def api_changed(self, status: ApiStatus) -> None:
        notes = {
            ApiCondition.UNREACHABLE: "server unreachable; retrying",
            ApiCondition.RATE_LIMITED: "rate limited by the server; waiting",
        }
        if status.condition in notes:
            print(f"jobmonitor: {notes[status.condition]} ({status.detail})", file=sys.stderr)

    async def refresh_loop(self) -> None:
        await asyncio.Event().wait()  # only the table view redraws by itself

    def close(self) -> None:
        self.out.flush()


class _JsonView(_View):
    """One JSON object per state change, flushed at once (for pipes)."""

    def job_event(self, event: JobEvent) -> None:
        if not event.changed:
            return
        record: dict[str, Any] = {
            "job_id": event.job_id,
            "status": event.new.value,
            "observed_at": round(event.observed_at, 3),
        }
        snap = event.snapshot
        if event.new.terminal:
            if snap is not None and snap.raw.get("result") is not None:
                record["result"] = snap.raw_dict()["result"]
            # The command line's one error shape (cli/common.py), a failed job's and a refusal's
            # alike: {"code", "message", "details", "http_status", "said_by"}.
            if snap is not None and snap.error is not None:
                record["error"] = job_error_object(event.job_id, snap.error)["error"]
            elif event.error is not None:
                record["error"] = error_object(event.error, job_id=event.job_id)["error"]
        self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
        self.out.flush()


class _LineView(_View):
    """A plain line per state change, for logs and pipes."""

    def job_event(self, event: JobEvent) -> None:
        if not event.changed:
            return
        when = datetime.fromtimestamp(event.observed_at).strftime("%H:%M:%S")
        detail = _detail(event)
        line = f"{when}  {event.job_id}  {event.new.label}" + (f"  {detail}" if detail else "")
        self.out.write(line + "\n")
        self.out.flush()


class _TableView(_View):
    """A table redrawn in place on a terminal: state, next check countdown, detail; a footer."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(out)
        self._details: dict[str, str] = {}
        self._drawn = 0
        self._hidden: list[str] = []  # jobs the last drawing had no room for
        self._dirty = asyncio.Event()
        self._api = ApiStatus(ApiCondition.IDLE)

    def job_event(self, event: JobEvent) -> None:
        self._details[event.job_id] = _detail(event)
        self._dirty.set()

    def api_changed(self, status: ApiStatus) -> None:
        self._api = status
        self._dirty.set()

    async def refresh_loop(self) -> None:
        while True:
            self.draw()
            self._dirty.clear()
            try:
                async with asyncio.timeout(REDRAW_EVERY):
                    await self._dirty.wait()
            except TimeoutError:
                pass
            await asyncio.sleep(0.05)  # coalesce bursts of events into one redraw

    def close(self) -> None:
        self.draw()
        if self.scheduler is not None and self._hidden:
            # The jobs that did not fit: the ones that did not succeed are named, once, below.
            width = shutil.get_terminal_size((100, 24)).columns
            for job_id in self._hidden:
                state = self.scheduler.state_of(job_id) or JobState.PENDING
                if state is not JobState.SUCCESS:
                    row = f"{job_id:<36}  {_SHORT.get(state, state.value):<10}  "
                    self.out.write(
                        (row + self._details.get(job_id, ""))[: max(width - 1, 1)] + "\n"
                    )
            self.out.flush()
        super().close()

    def draw(self) -> None:
        if self.scheduler is None:
            return
        width, height = shutil.get_terminal_size((100, 24))
        lines = self._lines(self.scheduler, width, max(height - 1, 3))
        up = f"\x1b[{self._drawn}F" if self._drawn else ""
        body = "".join(f"\x1b[2K{line}\n" for line in lines)
        self.out.write(f"{up}{body}\x1b[J")
        self.out.flush()
        self._drawn = len(lines)

    def _lines(self, sched: PollScheduler, width: int, height: int) -> list[str]:
        now = time.time()
        cut = max(width - 1, 1)  # never the last column: some terminals wrap the line there
        states = {j: sched.state_of(j) or JobState.PENDING for j in self.job_ids}
        room = max(height - 3, 1)
        order = self.job_ids
        if len(order) > room:  # not all fit: the open jobs first, then the ones that failed
            order = sorted(order, key=lambda j: (states[j].terminal, states[j] is JobState.SUCCESS))
        shown = order[:room]
        self._hidden = order[room:]
        lines = [f"{'JOB':<36}  {'STATE':<10}  {'NEXT':>5}  DETAIL"[:cut]]
        for job_id in shown:
            due = sched.next_due(job_id)
            countdown = "-" if due is None else f"{max(due - now, 0):.0f}s"
            state = _SHORT.get(states[job_id], states[job_id].value)
            row = f"{job_id:<36}  {state:<10}  {countdown:>5}  "
            lines.append((row + self._details.get(job_id, ""))[:cut])
        if self._hidden:
            lines.append(f"... and {len(self._hidden)} more"[:cut])
        done = sum(1 for s in states.values() if s.terminal)
        used, limit = sched.budget_usage
        budget = f"{used}/{limit}" if limit is not None else f"{used} (limit not known)"
        api = self._api.condition.value.replace("_", " ")
        footer = f"{done} of {len(states)} finished · API {api} · {budget} requests/min"
        lines.append(footer[:cut])
        return lines
