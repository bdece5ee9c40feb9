"""What a launch asks of the window: ids and files to add, whether to show it (first or later launch).

``jobmonitor ID... FILE...`` (or a file manager's "Open with", which passes paths through the
desktop entry's ``%F``) reaches the running instance as a ``Launch``; ``apply_launch`` adds what
it names, raises the window with the launcher's activation token, and returns the sentence the
second process prints.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from jobmonitor.desktop.instance import ACTIVATION_VARIABLES, Launch
from jobmonitor.ui.add_jobs import JobAdder

log = logging.getLogger(__name__)


def split_launch_args(args: Iterable[str], cwd: str) -> tuple[str, list[Path]]:
    """(id text, files): an argument naming an existing file (or a file:// URI) is a file to
    read ids from, relative to the launch's working directory; anything else is an id."""
    words: list[str] = []
    files: list[Path] = []
    for arg in args:
        if arg.startswith("file://"):
            files.append(Path(unquote(urlsplit(arg).path)))
            continue
        path = Path(arg).expanduser()
        candidate = path if path.is_absolute() else Path(cwd) / path
        if _looks_like_path(arg) and candidate.is_file():
            files.append(candidate)
        else:
            words.append(arg)
    # One argument a line: each is an id of its own (an explicit source, PROVIDER.md).
    return "\n".join(words), files


def _looks_like_path(arg: str) -> bool:
    # A job id is never a file name worth reading; "ids.csv", "./list" and "/tmp/x" are.
    return bool(arg) and not arg.startswith("-")


def add_from_launch(adder: JobAdder, text: str, files: list[Path], *, source: str) -> list[str]:
    """Add the ids and the files' ids; one summary line per add that happened."""
    lines: list[str] = []
    if text.strip():
        lines.append(adder.add_text(text, source=source).summary().splitlines()[0])
    if files:
        lines.append(adder.add_files(files).summary().splitlines()[0])
    return lines


class Raisable(Protocol):
    def show_window(self) -> None: ...


def raise_with_token(window: Raisable, activation: Mapping[str, str]) -> None:
    """Show and raise the window with the launcher's activation token.

    On Wayland a compositor gives focus only to a window activated with a token from the
    launcher (xdg-activation). Qt's Wayland plugin has no public call for a token: it reads
    ``XDG_ACTIVATION_TOKEN`` from the environment when the window is shown or activated, uses
    it and unsets it, all within ``show_window``. So the token is put there just for that call
    and taken away after it: a token is good for one activation, and one left behind (under
    X11 or offscreen nothing reads it) would be spent on a later, unrelated raise or inherited
    by a program the app opens. ``DESKTOP_STARTUP_ID`` (X11) is forwarded alike, though Qt's
    xcb plugin reads it only at start-up."""
    tokens = {name: activation[name] for name in ACTIVATION_VARIABLES if activation.get(name)}
    for name, token in tokens.items():
        os.environ[name] = token
    try:
        window.show_window()
    finally:
        for name in tokens:
            os.environ.pop(name, None)
    if tokens:
        log.info("raised the window with the launcher's %s", " and ".join(tokens))


def forget_activation_token() -> None:
    """Drop the token this process was launched with, when it starts in the tray: it was for
    a window that did not appear. Left there, Qt would spend it (stale by then, so refused) on
    the first raise from the tray instead of asking the compositor for a fresh one."""
    for name in ACTIVATION_VARIABLES:
        os.environ.pop(name, None)


def apply_launch(
    launch: Launch, adder: JobAdder, window: Raisable, *, job_ids: tuple[str, ...], show: bool
) -> str:
    """Do what a later launch asked; the answer the launching process prints."""
    text, files = split_launch_args(job_ids, launch.cwd)
    lines = add_from_launch(adder, text, files, source="another launch")
    if show:
        raise_with_token(window, launch.activation)
    if not lines:
        return "Shown the running Job Monitor window." if show else "Job Monitor is running."
    return " ".join(lines) + " (in the running Job Monitor window)"
