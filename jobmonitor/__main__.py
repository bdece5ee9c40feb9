"""Entry point: the GUI by default, subcommands (status, watch, download, auth, sim) for scripts."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        from jobmonitor.cli import SUBCOMMANDS, run_cli
    except KeyboardInterrupt:  # Ctrl-C while still starting: no traceback for it
        print("jobmonitor: interrupted", file=sys.stderr)
        return 130

    if args and (args[0] in SUBCOMMANDS or args[0] in ("-h", "--help", "--version")):
        return run_cli(args)
    from jobmonitor.app import run_gui

    return run_gui(args)


if __name__ == "__main__":
    sys.exit(main())
