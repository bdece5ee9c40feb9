"""``jobmonitor submit TOOL FILE_OR_URL...``: start one job per input, print each id as accepted.

Every input is checked before anything is sent (the tool, its options, each file's name and
extension, each URL's scheme); with a problem, nothing is submitted. A file is uploaded (a
presigned POST to the storage origin), then submitted by its key; a pending upload is deleted
when anything after it fails. ``--watch`` then follows the jobs like ``watch`` (same exit codes);
``--download -o DIR`` saves each finished job's file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jobmonitor.api.errors import ApiError, AuthError, InvalidInput
from jobmonitor.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_base_url_argument,
    auth_hint,
    http_pool,
    printable,
    resolve_api_key,
    resolve_base_url,
)

if TYPE_CHECKING:
    from jobmonitor.core.polling.budget import RequestBudget


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "submit",
        help="start jobs: one per file or URL",
        description="Start one job of TOOL per input (a file is uploaded, a URL is fetched by the "
        "provider) and print each job id as it is accepted. Every input is checked first; with "
        "any problem nothing is submitted (exit 2). Exit 0 when every input was accepted, 1 when "
        "any submission failed; with --watch, the exit codes of watch.",
    )
    parser.add_argument("tool", metavar="TOOL", help="tool slug (jobmonitor tools lists them)")
    parser.add_argument("sources", nargs="+", metavar="FILE_OR_URL")
    parser.add_argument(
        "--opt",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a tool option (jobmonitor tools TOOL lists them), e.g. --opt tab-space=2",
    )
    parser.add_argument(
        "--body", action="store_true", help="send each file's content in the request (small text)"
    )
    parser.add_argument("--watch", action="store_true", help="then follow the jobs like watch")
    parser.add_argument(
        "--timeout", type=float, metavar="S", help="with --watch: give up after S seconds"
    )
    parser.add_argument(
        "--download", action="store_true", help="with --watch: save each finished job's file"
    )
    parser.add_argument("-o", "--output", type=Path, metavar="DIR", help="folder for --download")
    parser.add_argument(
        "--rate-limit",
        type=int,
        metavar="N",
        help="requests per minute the API allows (default: the saved setting, else paced safely)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per input")
    add_base_url_argument(parser)
    parser.set_defaults(func=run)


def parse_options(pairs: list[str]) -> dict[str, str]:
    options: dict[str, str] = {}
    for pair in pairs:
        name, eq, value = pair.partition("=")
        if not eq or not name.strip():
            raise CliError(f"--opt wants NAME=VALUE, not {pair!r}", EXIT_USAGE)
        options[name.strip()] = value
    return options


def run(args: argparse.Namespace) -> int:
    options = parse_options(args.opt)
    if args.rate_limit is not None and args.rate_limit <= 0:
        raise CliError("--rate-limit must be a positive number of requests per minute")
    if args.download and not args.watch:
        raise CliError("--download needs --watch (it saves the files of finished jobs)")
    folder: Path = args.output if args.output is not None else Path.cwd()
    if args.download and folder.exists() and not folder.is_dir():
        raise CliError(f"{folder} is a file, not a folder to save into", EXIT_USAGE)
    base_url = resolve_base_url(args)
    key = resolve_api_key(base_url)
    return asyncio.run(_submit(args, options, base_url, key, folder))


def _emit(args: argparse.Namespace, record: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(record, ensure_ascii=False), flush=True)
    elif "error" in record:
        print(
            printable(f"jobmonitor: {record['source']}: {record['error']['message']}"),
            file=sys.stderr,
            flush=True,
        )
    else:
        extra = f"  {record['file']}" if record.get("file") else ""
        print(printable(f"{record['source']}\t{record['job_id']}{extra}"), flush=True)


def error_record(source: str, exc: ApiError) -> dict[str, Any]:
    """The one error shape of the command line (see cli/common.py's docs)."""
    from jobmonitor.cli.common import error_object

    return {"source": source, **error_object(exc)}


async def _submit(
    args: argparse.Namespace, options: dict[str, str], base_url: str, key: str | None, folder: Path
) -> int:
    from jobmonitor.cli import budget_memory
    from jobmonitor.core.polling.budget import RequestBudget

    # One budget for every request to the API: submissions, upload requests, then the polls.
    budget = RequestBudget(_rate_limit(args), clock=asyncio.get_running_loop().time)
    recalled = budget_memory.recall(budget, base_url)  # what earlier runs learned of it
    try:
        return await _submit_all(args, options, base_url, key, folder, budget)
    finally:
        budget_memory.remember(budget, base_url, recalled)


async def _submit_all(
    args: argparse.Namespace,
    options: dict[str, str],
    base_url: str,
    key: str | None,
    folder: Path,
    budget: RequestBudget,
) -> int:
    from jobmonitor.api.submit import ToolClient
    from jobmonitor.api.uploads import UploadClient
    from jobmonitor.core.submit import Submitter

    accepted: list[str] = []
    status_urls: dict[str, str] = {}
    failed = 0
    async with http_pool(timeout=60.0) as pool:
        api = pool.for_url(base_url)
        submitter = Submitter(
            ToolClient(api, base_url, api_key=key),
            UploadClient(api, base_url, api_key=key, storage_http=pool.for_url),
            gate=budget,
        )
        try:
            plan = submitter.plan(args.tool, args.sources, options, body=args.body)
        except InvalidInput as exc:
            raise CliError(exc.message, EXIT_USAGE) from None
        if plan.problems:
            for problem in plan.problems:
                _emit(args, error_record(problem.source, problem.error))
            raise CliError(
                f"nothing submitted: {len(plan.problems)} input(s) cannot be", EXIT_USAGE
            )
        for item in plan.items:
            try:
                done = await submitter.submit(plan, item)
            except AuthError as exc:
                _emit(args, error_record(item.source, exc))
                raise CliError(
                    f"the API rejected the key; check it with: {auth_hint('status', base_url)}"
                ) from None
            except ApiError as exc:
                failed += 1
                _emit(args, error_record(item.source, exc))
                continue
            record: dict[str, Any] = {
                "source": item.source,
                "label": done.label,
                "job_id": done.job_id,
                "status": done.status,
                "status_url": done.status_url,
                "request_id": done.request_id,
                "upload_id": done.upload_id,
                "mode": done.mode,
            }
            if done.snapshot is not None and done.snapshot.result is not None:
                record["file"] = done.snapshot.result.file
            else:
                accepted.append(done.job_id)
                if done.status_url:
                    status_urls[done.job_id] = done.status_url
            _emit(args, record)
    if args.watch and accepted:
        from jobmonitor.cli import watch_cmd

        view = watch_cmd.make_view(args.json)
        code = await watch_cmd.watch_jobs(
            accepted,
            base_url,
            key,
            _rate_limit(args),
            view,
            give_up_after=args.timeout,
            budget=budget,
            status_urls=status_urls,
        )
        if args.download:
            from jobmonitor.cli.download_cmd import download_jobs

            await download_jobs(accepted, base_url, key, folder)
        return code if not failed else max(code, EXIT_FAILED)
    return EXIT_FAILED if failed else EXIT_OK


def _rate_limit(args: argparse.Namespace) -> int | None:
    if args.rate_limit is not None:
        return int(args.rate_limit)
    from jobmonitor.cli.watch_cmd import _saved_rate_limit

    return _saved_rate_limit()
