"""Command line: ``status``, ``watch``, ``download``, ``auth``, ``sim`` over the same core, no widgets.

Each subcommand lives in its own module with ``register(subparsers)`` setting ``func`` (returning
the exit code). Exit codes: 0 ok, 1 an API error or a job that did not succeed, 2 usage, key or
configuration errors, 130 interrupted.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import json
import os
import sys

from jobmonitor import __version__
from jobmonitor.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    CliError,
    client_error_object,
)

SUBCOMMANDS = (
    "status",
    "watch",
    "download",
    "submit",
    "tools",
    "uploads",
    "auth",
    "sim",
    "completion",
    "manpage",
)
_MODULES = {"completion": "docs", "manpage": "docs"}  # one module registers both


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with ``only`` that one (start-up imports only its
    module; the top-level help and usage errors then name just that one)."""
    parser = argparse.ArgumentParser(
        prog="jobmonitor",
        description="Watch asynchronous jobs of the apidatatools Status API. "
        "Without a subcommand, opens the desktop app (jobmonitor [--demo] [JOB_ID...]).",
    )
    parser.add_argument("--version", action="version", version=f"jobmonitor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    names = SUBCOMMANDS if only is None else (only,)
    for module_name in dict.fromkeys(_MODULES.get(n, n) for n in names):
        try:
            module = importlib.import_module(f"jobmonitor.cli.{module_name}_cmd")
        except ModuleNotFoundError as exc:  # a subcommand not built into this tree
            if exc.name != f"jobmonitor.cli.{module_name}_cmd":
                raise
            continue
        module.register(sub)
    return parser


def run_cli(argv: list[str]) -> int:
    args: argparse.Namespace | None = None
    try:
        parser = build_parser(argv[0] if argv and argv[0] in SUBCOMMANDS else None)
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
            return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
        if getattr(args, "func", None) is None:
            parser.print_help()
            return EXIT_USAGE
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe or a full disk shows here, not as noise at exit
        return code
    except CliError as exc:
        if getattr(args, "json", False) and not exc.shown_as_json:
            print(json.dumps(client_error_object(None, exc.code, str(exc)), ensure_ascii=False))
        print(f"jobmonitor: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("jobmonitor: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, as other command-line tools do.
        _silence_stdout()
        return EXIT_FAILED
    except OSError as exc:
        if exc.filename is None and exc.errno in _OUTPUT_ERRNOS:
            _silence_stdout()
            print(f"jobmonitor: could not write the output: {exc.strerror or exc}", file=sys.stderr)
            return EXIT_FAILED
        return _internal_error(exc)  # not the output (time conversions raise OSError too)
    except Exception as exc:  # noqa: BLE001 - logged by _internal_error; never a traceback
        return _internal_error(exc)


# What writing to a closed, full or broken stdout raises; any other OSError is no output failure.
_OUTPUT_ERRNOS = frozenset(
    {errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EBADF, errno.EFBIG, getattr(errno, "EDQUOT", 122)}
)


def _internal_error(exc: BaseException) -> int:
    """A bug: one line for the user, the traceback in the log (stderr with JOBMONITOR_DEBUG)."""
    import logging
    import traceback

    logging.getLogger("jobmonitor.cli").debug("internal error", exc_info=exc)
    if os.environ.get("JOBMONITOR_DEBUG"):
        traceback.print_exception(exc, file=sys.stderr)
    print(
        f"jobmonitor: internal error ({type(exc).__name__}: {str(exc)[:200]}); please report it "
        "(JOBMONITOR_DEBUG=1 shows the details)",
        file=sys.stderr,
    )
    return EXIT_FAILED


def _silence_stdout() -> None:
    """Point stdout at the null device, so the interpreter's last flush at exit cannot fail."""
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass
