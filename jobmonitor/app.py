"""Composition root for the GUI (being built: see the desktop-app issue)."""

from __future__ import annotations

import sys


def run_gui(argv: list[str]) -> int:
    print(
        "jobmonitor: the desktop app is not built yet; use a subcommand (see --help)",
        file=sys.stderr,
    )
    return 2
