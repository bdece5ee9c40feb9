"""``jobmonitor uploads [list [--status S] | delete UPLOAD_ID...]``: the account's uploads."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, datetime

from jobmonitor.api.errors import ApiError, AuthError
from jobmonitor.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    add_base_url_argument,
    error_object,
    http_pool,
    printable,
    resolve_api_key,
    resolve_base_url,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "uploads",
        help="list or delete uploaded files",
        description="List the files uploaded for jobs (pending, completed, failed), or delete "
        "uploads by id. Exit 0 on success, 1 when an upload could not be deleted, 2 on key errors.",
    )
    parser.add_argument("action", nargs="?", choices=("list", "delete"), default="list")
    parser.add_argument("upload_ids", nargs="*", metavar="UPLOAD_ID", help="for delete")
    parser.add_argument(
        "--status", choices=("pending", "completed", "failed"), help="list only these"
    )
    parser.add_argument("--json", action="store_true", help="JSON output")
    add_base_url_argument(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from jobmonitor.cli.common import CliError

    if args.action == "delete" and not args.upload_ids:
        raise CliError("uploads delete needs at least one UPLOAD_ID", EXIT_USAGE)
    if args.action == "list" and args.upload_ids:
        raise CliError("uploads list takes no ids (did you mean: uploads delete ID?)", EXIT_USAGE)
    base_url = resolve_base_url(args)
    key = resolve_api_key(base_url)
    return asyncio.run(_uploads(args, base_url, key))


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


async def _uploads(args: argparse.Namespace, base_url: str, key: str | None) -> int:
    from jobmonitor.api.uploads import UploadClient

    async with http_pool() as pool:
        client = UploadClient(pool.for_url(base_url), base_url, api_key=key)
        if args.action == "list":
            try:
                items = await client.list_uploads(args.status)
            except ApiError as exc:
                return _fail(args, exc)
            if args.json:
                print(json.dumps([dict(i.raw) for i in items], ensure_ascii=False))
                return EXIT_OK
            if not items:
                print("no uploads" + (f" with status {args.status}" if args.status else ""))
            for i in items:
                size = "-" if i.file_size is None else f"{i.file_size} B"
                print(
                    printable(
                        f"{i.upload_id}  {i.status:<9}  {size:>12}  {i.filename or '-'}  "
                        f"created {_when(i.created_at)}, expires {_when(i.expires_at)}"
                    )
                )
            return EXIT_OK
        code = EXIT_OK
        for upload_id in args.upload_ids:
            try:
                await client.delete_upload(upload_id)
            except ApiError as exc:
                code = max(code, _fail(args, exc, upload_id))
                continue
            if args.json:
                print(json.dumps({"status": "deleted", "upload_id": upload_id}))
            else:
                print(printable(f"deleted {upload_id}"))
        return code


def _fail(args: argparse.Namespace, exc: ApiError, upload_id: str | None = None) -> int:
    if args.json:
        record = error_object(exc)
        if upload_id is not None:
            record["upload_id"] = upload_id
        print(json.dumps(record, ensure_ascii=False))
    else:
        where = f"{upload_id}: " if upload_id else ""
        print(printable(f"jobmonitor: {where}{exc}"), file=sys.stderr)
    return EXIT_USAGE if isinstance(exc, AuthError) else EXIT_FAILED
