"""``jobmonitor auth set|status|clear``: the API key in the OS keyring, from the command line.

The key is read from a hidden prompt (or one line of standard input when it is not a terminal),
shown only masked (``abcd…7890``), and never printed, logged or put in an error message.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import warnings

from jobmonitor.api.urls import origin_of
from jobmonitor.cli.common import (
    ENV_KEY,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    add_base_url_argument,
    http_pool,
    remember_route_template,
    resolve_base_url,
    saved_route_template,
)
from jobmonitor.core.credentials.keycheck import KeyCheck, KeyCheckOutcome, check_key
from jobmonitor.core.credentials.store import (
    CredentialStore,
    KeyLookup,
    KeyProblem,
    KeySource,
    clean_key,
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "auth",
        help="set, check or clear the API key",
        description="Manage the API key kept in the OS keyring (one per API origin). "
        f"${ENV_KEY}, when set, overrides the keyring.",
    )
    actions = parser.add_subparsers(dest="auth_action", metavar="ACTION", required=True)

    set_parser = actions.add_parser(
        "set",
        help="save a key in the OS keyring",
        description="Read the key from a hidden prompt, or one line of standard input when it is "
        "not a terminal (e.g. 'pass show api | jobmonitor auth set'), and save it in the OS "
        "keyring for the API's origin. Exit 0 when saved, 2 when it could not be.",
    )
    add_base_url_argument(set_parser)
    set_parser.set_defaults(func=run_set)

    status_parser = actions.add_parser(
        "status",
        help="where the key is kept, and whether the API accepts it",
        description="Show where the key comes from (environment, keyring or none), the key "
        "masked, and whether the API accepts it (one request for a job id that does not exist). "
        "Exit 0 when the API accepts the key, 1 when it rejects it or cannot confirm it "
        "(unreachable, rate limited), 2 when there is no usable key.",
    )
    add_base_url_argument(status_parser)
    status_parser.add_argument(
        "--no-check", action="store_true", help="do not ask the API; exit 0 when a key is found"
    )
    status_parser.set_defaults(func=run_status)

    clear_parser = actions.add_parser(
        "clear",
        help="remove the key from the OS keyring",
        description="Remove the key for the API's origin from the OS keyring. Exit 0 when none "
        "is left there, 2 when the keyring could not be used.",
    )
    add_base_url_argument(clear_parser)
    clear_parser.set_defaults(func=run_clear)


def run_set(args: argparse.Namespace) -> int:
    base_url = resolve_base_url(args)
    origin = origin_of(base_url)
    try:
        key = clean_key(_read_key(origin))
    except ValueError as exc:
        raise CliError(f"{exc}; nothing saved") from None
    lookup = asyncio.run(CredentialStore().set(origin, key))
    if lookup.problem is not None:
        hint = ""
        if lookup.problem in (KeyProblem.NO_BACKEND, KeyProblem.NOT_SAVED):
            hint = f" For scripts, set ${ENV_KEY} instead."
        raise CliError(lookup.message + hint)
    print(lookup.message)
    print(f"Check it with: jobmonitor auth status{_base_url_flag(args)}")
    return EXIT_OK


def run_status(args: argparse.Namespace) -> int:
    base_url = resolve_base_url(args)
    lookup = CredentialStore().get_sync(origin_of(base_url))
    print(f"api:      {base_url}")
    print(f"stored:   {_where(lookup)}")
    if lookup.key is None:
        if lookup.problem is not KeyProblem.NOT_STORED:
            print(f"problem:  {lookup.message}")
        if lookup.problem is KeyProblem.NO_BACKEND:
            print(f"For scripts, set ${ENV_KEY}.")
        else:
            print(f"Set a key with: jobmonitor auth set{_base_url_flag(args)}")
        return EXIT_USAGE
    print(f"key:      {lookup.masked}")
    if args.no_check:
        return EXIT_OK
    check = asyncio.run(_check(base_url, lookup.key))
    print(f"accepted: {_verdict(check)}")
    print(f"          {check.detail}")
    if check.outcome is KeyCheckOutcome.REJECTED:
        # The fix keeps --base-url: the key is kept per API, a bare "auth set" would set another.
        setter = f"jobmonitor auth set{_base_url_flag(args)}"
        if lookup.source is KeySource.ENVIRONMENT:  # no "$": the shell would expand it
            print(f"Set the right key in ${ENV_KEY}, or unset {ENV_KEY} and use: {setter}")
        else:
            print(f"Set a new key with: {setter}")
    return EXIT_OK if check.works else EXIT_FAILED


def run_clear(args: argparse.Namespace) -> int:
    base_url = resolve_base_url(args)
    lookup = asyncio.run(CredentialStore().delete(origin_of(base_url)))
    if lookup.problem is not KeyProblem.NOT_STORED:
        raise CliError(f"the key was not cleared: {lookup.message}")
    print(lookup.message)
    return EXIT_OK


def _read_key(origin: str) -> str:
    stdin = sys.stdin
    if stdin is None:
        raise CliError("no standard input to read the key from; nothing saved")
    if stdin.isatty():
        with warnings.catch_warnings():
            # getpass falls back to an echoing prompt when it cannot hide input: refuse instead.
            warnings.simplefilter("error", getpass.GetPassWarning)
            try:
                return getpass.getpass(f"API key for {origin} (input hidden): ")
            except getpass.GetPassWarning:
                raise CliError(
                    "cannot hide the input on this terminal; pipe the key in instead "
                    "(e.g. 'pass show api | jobmonitor auth set'); nothing saved"
                ) from None
            except EOFError:
                raise CliError("no key given; nothing saved") from None
    # One line only: whatever follows is not ours to consume.
    return stdin.readline()


def _where(lookup: KeyLookup) -> str:
    if lookup.source is KeySource.ENVIRONMENT:
        return f"environment (${ENV_KEY}, which overrides the keyring)"
    if lookup.source is KeySource.KEYRING:
        return f"keyring ({lookup.backend})" if lookup.backend else "keyring"
    return "none"


def _verdict(check: KeyCheck) -> str:
    return {
        KeyCheckOutcome.WORKS: "yes",
        KeyCheckOutcome.REJECTED: "no, rejected (401)",
        KeyCheckOutcome.RATE_LIMITED: "probably (rate limited, could not confirm)",
        KeyCheckOutcome.UNREACHABLE: "unknown (the API could not be reached)",
        KeyCheckOutcome.UNCONFIRMED: "unknown",
        KeyCheckOutcome.BAD_URL: "not checked",
    }[check.outcome]


def _base_url_flag(args: argparse.Namespace) -> str:
    return f" --base-url {args.base_url}" if getattr(args, "base_url", None) else ""


async def _check(base_url: str, key: str) -> KeyCheck:
    async with http_pool() as pool:
        return await check_key(
            pool.for_url(base_url),
            base_url,
            key,
            route_template=saved_route_template(base_url),
            on_route_learned=lambda route: remember_route_template(base_url, route),
        )
