"""``jobmonitor status JOB_ID``: one request, a readable summary or the API's JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

from jobmonitor.api.errors import ApiError, AuthError
from jobmonitor.api.models import JobSnapshot, clamp_retry_after
from jobmonitor.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_base_url_argument,
    checked_job_ids,
    describe_error,
    error_object,
    http_pool,
    make_status_client,
    printable,
    resolve_api_key,
    resolve_base_url,
)
from jobmonitor.core.timestamps import invalid_time, utc_datetime

MAX_VALUE_CHARS = 300  # one row of the summary; a 400-digit "status" is cut, not printed whole


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "status",
        help="ask the API once about jobs",
        description="Ask the Status API once about each job. Exit 0 when the API answered about "
        "every job (any state), 1 on an API error, 2 on a malformed id, a usage error or a missing "
        "or rejected key. With several ids, one summary (or one JSON object a line) per job.",
    )
    parser.add_argument("job_ids", nargs="+", metavar="JOB_ID")
    add_base_url_argument(parser)
    parser.add_argument(
        "--json",
        action="store_true",
        help="print the API's answer as one JSON object (an error in the command line's one "
        'error shape: {"status": "error", "job_id", "error": {"code", "message", ...}})',
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    job_ids = checked_job_ids(args.job_ids, as_json=args.json)  # all before anything is sent
    base_url = resolve_base_url(args)
    key = resolve_api_key(base_url)

    async def each() -> int:
        worst = EXIT_OK
        for n, job_id in enumerate(job_ids):
            if n and not args.json:
                print()
            code = await _status(job_id, base_url, key, as_json=args.json)
            worst = max(worst, code)
            if code == EXIT_USAGE:  # a rejected key: the next ones would be refused too
                break
        return worst

    return asyncio.run(each())


async def _status(job_id: str, base_url: str, key: str | None, *, as_json: bool) -> int:
    async with http_pool() as pool:
        client = make_status_client(pool.for_url(base_url), base_url, key)
        try:
            snapshot = await client.get_job(job_id)
        except ApiError as exc:
            if as_json:  # the command line's one error shape (cli/common.py)
                print(json.dumps(error_object(exc, job_id=job_id), ensure_ascii=False))
            else:
                print(f"jobmonitor: {job_id}: {describe_error(exc, base_url)}", file=sys.stderr)
            # A rejected key is a key error (2), as in watch and download; the rest are 1.
            return EXIT_USAGE if isinstance(exc, AuthError) else EXIT_FAILED
    if as_json:
        # allow_nan=False: the parser has already turned NaN and Infinity (not JSON) into null.
        print(json.dumps(snapshot.raw_dict(), ensure_ascii=False, allow_nan=False))
    else:
        print(format_snapshot(snapshot))
    return EXIT_OK


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    moment = utc_datetime(epoch)
    if moment is None:  # created_at: 1e300 is a number and no moment
        return invalid_time(epoch)
    local = moment.astimezone()
    return f"{local:%Y-%m-%d %H:%M:%S %Z} ({moment:%H:%M:%S} UTC)"


def _retry_after(sent: float) -> str:
    """The pause the client will keep, and what the server said when that differs."""
    used = clamp_retry_after(sent)
    return f"{used:g} s" if used == sent else f"{used:g} s (the server said {sent:g})"


def _clip(text: str) -> str:
    if len(text) <= MAX_VALUE_CHARS:
        return text
    return f"{text[: MAX_VALUE_CHARS - 30]}… ({len(text)} characters)"


def format_snapshot(snapshot: JobSnapshot) -> str:
    rows: list[tuple[str, Any]] = [
        ("job", snapshot.job_id),
        ("status", snapshot.raw_status or snapshot.status.value),
        ("created", _when(snapshot.created_at)),
        ("updated", _when(snapshot.updated_at)),
    ]
    if snapshot.message:
        rows.append(("message", snapshot.message))
    if not snapshot.terminal and snapshot.retry_after is not None:
        rows.append(("retry after", _retry_after(snapshot.retry_after)))
    if snapshot.error is not None:
        err = snapshot.error
        rows.append(("error", f"{err.code}: {err.message}"))
        if err.line is not None:
            rows.append(("line", err.line))
        if err.column is not None:
            rows.append(("column", err.column))
        for key, value in err.extra_details.items():
            rows.append((str(key), json.dumps(value, ensure_ascii=False)))
    if snapshot.result is not None:
        res = snapshot.result
        if res.file:
            rows.append(("file", res.file))
        if res.request_id:
            rows.append(("request", res.request_id))
        for key, value in res.extra.items():
            rows.append((str(key), json.dumps(value, ensure_ascii=False)))
    rows = [(printable(_clip(label)), printable(_clip(str(value)))) for label, value in rows]
    width = max(len(label) for label, _ in rows)
    lines = [f"{label + ':':<{width + 1}} {value}" for label, value in rows]
    if snapshot.result is not None and snapshot.result.preview:
        lines.append("preview:")
        preview = snapshot.result.preview.splitlines()[:20]
        lines.extend("  " + printable(_clip(line)) for line in preview)
    return "\n".join(lines)
