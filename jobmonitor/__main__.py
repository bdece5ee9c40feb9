"""Entry point: the GUI by default, subcommands (status, watch, download, auth, sim) for scripts."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    # httpx imports its own command line on import when click, rich and pygments are there
    # (a sixth of the start-up in a development venv): never run here, so never imported.
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
    try:
        from jobmonitor.cli import SUBCOMMANDS, run_cli
    except KeyboardInterrupt:  # Ctrl-C while still starting: no traceback for it
        print("jobmonitor: interrupted", file=sys.stderr)
        return 130

    if args and (args[0] in SUBCOMMANDS or args[0] in ("-h", "--help", "--version")):
        return run_cli(args)
    typo = _mistyped_command(args[0]) if args else None
    if typo is not None:  # "statuss ID" would open the window with two rejected ids
        print(f"jobmonitor: unknown command {args[0]!r}; did you mean {typo!r}?", file=sys.stderr)
        return 2
    from jobmonitor.desktop.main import run_gui

    return run_gui(args)


def _mistyped_command(word: str) -> str | None:
    """The subcommand ``word`` is a near miss of (a job id or an option is never one)."""
    import difflib

    from jobmonitor.cli import SUBCOMMANDS

    if not word.isalpha():
        return None
    close = difflib.get_close_matches(word.lower(), SUBCOMMANDS, n=1, cutoff=0.7)
    return close[0] if close else None


if __name__ == "__main__":
    sys.exit(main())
