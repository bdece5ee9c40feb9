"""``jobmonitor watch JOB_ID... | -``: poll until every job is terminal; a live table, lines or JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Mapping

from jobmonitor.api.errors import ApiError
from jobmonitor.api.ids import MAX_TEXT_CHARS, parse_job_ids
from jobmonitor.cli import budget_memory
from jobmonitor.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_base_url_argument,
    auth_hint,
    client_error_object,
    http_pool,
    make_status_client,
    printable,
    resolve_api_key,
    resolve_base_url,
    saved_settings_may_hold,
)
from jobmonitor.cli.watch_views import JsonView, LineView, TableView, View
from jobmonitor.core.http import HttpPool
from jobmonitor.core.polling.budget import RequestBudget
from jobmonitor.core.polling.scheduler import PollScheduler
from jobmonitor.core.state import ApiCondition, ApiStatus, JobEvent, JobState

_WRONG_URL_CODES = frozenset({"ROUTE_NOT_FOUND", "UNSAFE_REDIRECT"})


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


def make_view(as_json: bool) -> View:
    """JSON lines, a live table on a terminal, else one line per change."""
    if as_json:
        return JsonView(sys.stdout)
    # A dumb terminal cannot move the cursor to redraw the table: lines instead.
    if sys.stdout.isatty() and os.environ.get("TERM", "") != "dumb":
        return TableView(sys.stdout)
    return LineView(sys.stdout)


async def watch_jobs(
    job_ids: list[str],
    base_url: str,
    key: str | None,
    rate_limit: int | None,
    view: View,
    *,
    give_up_after: float | None = None,
    pool: HttpPool | None = None,
    budget: RequestBudget | None = None,
    status_urls: Mapping[str, str] | None = None,
) -> int:
    """Follow the jobs until each is finished (or ``give_up_after`` seconds): the exit code.
    ``pool``: the HTTP clients to use (default: the command's own, closed at the end);
    ``budget``: the one already counting this API's requests (``submit --watch``);
    ``status_urls``: each submitted job's own status URL, used when on the API's origin."""
    try:
        async with asyncio.timeout(give_up_after):
            return await _watch(
                job_ids,
                base_url,
                key,
                rate_limit,
                view,
                pool or http_pool(),
                budget,
                status_urls or {},
            )
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
        raise CliError(
            f"invalid job id {bad.text[:60]!r}: {bad.reason}{more}",
            EXIT_USAGE,
            shown_as_json=as_json,
        )
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
    view: View,
    http: HttpPool,
    budget: RequestBudget | None = None,
    status_urls: Mapping[str, str] | None = None,
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

    # The loop's own clock (monotonic on every loop), so the plan and the sleeps agree under
    # any loop, a test's virtual-time one included.
    clock = asyncio.get_running_loop().time
    recalled: budget_memory.Memory | None = None
    if budget is None:  # this command's own: it starts from what earlier runs learned
        budget = RequestBudget(rate_limit, clock=clock)
        recalled = budget_memory.recall(budget, base_url)
    async with http as pool:
        client = make_status_client(pool.for_url(base_url), base_url, key)
        scheduler = PollScheduler(client, budget=budget, clock=clock)
        view.bind(scheduler, job_ids)
        scheduler.add_listener(view.job_event)
        scheduler.add_listener(on_job)
        scheduler.add_api_listener(on_api)
        for job_id, url in (status_urls or {}).items():
            scheduler.watch(job_id, status_url=url)
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
    if recalled is not None:
        budget_memory.remember(budget, base_url, recalled)
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
