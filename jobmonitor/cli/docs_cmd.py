"""``jobmonitor completion SHELL`` and ``jobmonitor manpage``: generated from the parser itself,
so shell completions and the man page never drift from the commands."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from jobmonitor import __version__
from jobmonitor.cli.common import EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    completion = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script for SHELL, generated with shtab from this "
        "command's own parser. bash: jobmonitor completion bash > "
        "~/.local/share/bash-completion/completions/jobmonitor; zsh: jobmonitor completion zsh > "
        "a folder of your $fpath as _jobmonitor.",
    )
    completion.add_argument("shell", choices=("bash", "zsh", "tcsh"))
    completion.set_defaults(func=run_completion)
    manpage = sub.add_parser(
        "manpage",
        help="print the man page (roff)",
        description="Print jobmonitor(1) in roff, generated from the parser: "
        "jobmonitor manpage > ~/.local/share/man/man1/jobmonitor.1",
    )
    manpage.set_defaults(func=run_manpage)


def _full_parser() -> argparse.ArgumentParser:
    from jobmonitor.cli import build_parser

    return build_parser()


def run_completion(args: argparse.Namespace) -> int:
    import shtab

    print(shtab.complete(_full_parser(), shell=args.shell), end="")
    return EXIT_OK


def _roff(text: str) -> str:
    lines = []
    for line in text.replace("\\", "\\e").splitlines():
        lines.append("\\&" + line if line.startswith((".", "'")) else line)
    return "\n".join(lines)


def manpage(parser: argparse.ArgumentParser) -> str:
    """jobmonitor(1): the top-level usage, then each subcommand's own help."""
    date = datetime.now(UTC).strftime("%Y-%m-%d")
    out = [
        f'.TH JOBMONITOR 1 "{date}" "jobmonitor {__version__}" "User Commands"',
        ".SH NAME",
        "jobmonitor \\- watch and start jobs of the apidatatools APIs",
        ".SH SYNOPSIS",
        ".nf",
        _roff(parser.format_usage().removeprefix("usage: ").strip()),
        ".fi",
        ".SH DESCRIPTION",
        _roff(parser.description or ""),
        ".SH COMMANDS",
    ]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                out += [f".SS {name}", ".nf", _roff(sub.format_help().strip()), ".fi"]
    out += [
        ".SH ENVIRONMENT",
        ".TP",
        "JOBMONITOR_API_KEY",
        "the API key (else the OS keyring)",
        ".TP",
        "JOBMONITOR_BASE_URL",
        "the API base URL (else the saved setting, else https://api.apidatatools.com)",
        ".TP",
        "NO_COLOR",
        "no colour in the output",
    ]
    return "\n".join(out) + "\n"


def run_manpage(args: argparse.Namespace) -> int:
    print(manpage(_full_parser()), end="")
    return EXIT_OK
