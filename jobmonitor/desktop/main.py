"""The GUI entry: arguments, the QApplication and its qasync loop, demo mode, and an orderly quit.

``jobmonitor [--demo] [--base-url URL] [--dark] [--minimized] [JOB_ID|FILE...]``. Ids given
here (and the ids in files named) are added to the watch list; bad ones are reported in the
window, not on a crash. While an instance runs on the same data folder, a launch hands its
arguments to that one and exits 0 (``desktop.instance``). With
``JOBMONITOR_EXIT_AFTER_SHOWN=1`` the app prints ``jobmonitor: window shown`` to stderr when its
window is first shown (the packaging smoke test), then ``jobmonitor: list restored (N jobs)``
once the saved list is all in the table (at once for a short list), and quits (exit 0).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QStyleFactory

from jobmonitor import APP_ID, APP_NAME, ORG_DOMAIN, ORG_NAME
from jobmonitor.core.paths import data_dir
from jobmonitor.core.settings import Settings

if TYPE_CHECKING:
    from jobmonitor.desktop.root import DesktopApp

log = logging.getLogger(__name__)
EXIT_AFTER_SHOWN_ENV = "JOBMONITOR_EXIT_AFTER_SHOWN"
DARK_ENV = "JOBMONITOR_DARK"


@dataclass(frozen=True, slots=True)
class GuiOptions:
    demo: bool
    base_url: str | None
    dark: bool
    job_ids: tuple[str, ...]
    minimized: bool = False


def parse_gui_args(argv: list[str]) -> GuiOptions:
    """Options for the window; raises SystemExit (argparse) on unknown options only."""
    parser = argparse.ArgumentParser(
        prog="jobmonitor", description=f"{APP_NAME}: watch asynchronous jobs of the Status API."
    )
    parser.add_argument("--demo", action="store_true", help="run against a built-in simulator")
    parser.add_argument("--base-url", metavar="URL", help="API base URL for this run")
    parser.add_argument("--dark", action="store_true", help=f"dark palette (or {DARK_ENV}=1)")
    parser.add_argument(
        "--minimized", action="store_true", help="start in the tray (as at login), if there is one"
    )
    parser.add_argument(
        "job_ids", nargs="*", metavar="JOB_ID|FILE", help="job ids, or files of ids, to add"
    )
    args, extra = parser.parse_known_args(argv)
    # Anything else that is not an option is an id to check; the window says what is wrong.
    unknown_options = [a for a in extra if a.startswith("--")]
    if unknown_options:
        parser.error(f"unrecognized arguments: {' '.join(unknown_options)}")
    dark = args.dark or os.environ.get(DARK_ENV, "").strip().lower() in ("1", "true", "yes")
    ids = tuple(args.job_ids) + tuple(extra)
    return GuiOptions(args.demo, args.base_url, dark, ids, minimized=args.minimized)


def make_qapplication(*, dark: bool = False) -> QApplication:
    existing = QApplication.instance()
    app = (
        existing
        if isinstance(existing, QApplication)
        else QApplication([sys.argv[0] or "jobmonitor"])
    )
    app.setApplicationName("jobmonitor")
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setOrganizationDomain(ORG_DOMAIN)
    app.setDesktopFileName(APP_ID)
    app.setQuitOnLastWindowClosed(False)  # quitting goes through DesktopApp.aclose, in order
    from jobmonitor.ui.icons import app_icon
    from jobmonitor.ui.palette import dark_palette

    if dark:
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(dark_palette())

    app.setWindowIcon(app_icon())
    return app


def display_problem(environ: Mapping[str, str], platform: str) -> str | None:
    """Why the window cannot open here, in words, before Qt aborts the process with its own."""
    if not platform.startswith("linux") or environ.get("QT_QPA_PLATFORM"):
        return None
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is set). "
        "Run it in a desktop session, or use the command line: jobmonitor --help"
    )


def run_gui(argv: list[str]) -> int:
    try:
        options = parse_gui_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else 2
    from jobmonitor.desktop.instance import ForwardFailed, Launch, claim_or_forward

    # Before anything else (no display needed): a second launch only hands its arguments over.
    folder = data_dir(demo=options.demo)
    try:
        lock, answer = claim_or_forward(folder, Launch.here(argv))
    except ForwardFailed as exc:
        print(f"jobmonitor: {exc}", file=sys.stderr)
        return 1
    if lock is None:
        print(f"jobmonitor: {answer}")
        return 0
    try:
        return _run_first(options)
    finally:
        lock.release()


def _run_first(options: GuiOptions) -> int:
    from jobmonitor.desktop.platform_check import xcb_problem

    problem = display_problem(os.environ, sys.platform) or xcb_problem(os.environ, sys.platform)
    if problem:
        print(f"jobmonitor: {problem}", file=sys.stderr)
        return 2
    import qasync

    from jobmonitor.core.diagnostics import enable_fault_log, route_qt_messages
    from jobmonitor.core.paths import log_dir
    from jobmonitor.ui.errors import install_excepthook, setup_logging

    setup_logging()
    enable_fault_log(log_dir())  # a hard crash in Qt leaves its Python stack there
    route_qt_messages()  # Qt's warnings into the rotating log, not a terminal nobody reads
    app = make_qapplication(dark=options.dark)
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    running = _Running()
    install_excepthook(lambda: running.desktop.window if running.desktop else None)
    with loop:
        return int(loop.run_until_complete(_main(options, running)))


def when_restored(desktop: DesktopApp, then: Callable[[], None]) -> None:
    """Call ``then`` once the saved list is read and every row of it is in the table (a long
    list fills the table after the window shows)."""

    def check() -> None:
        if not desktop.watchlist.loading and desktop.window.model.incoming == 0:
            timer.stop()
            then()

    timer = QTimer(desktop, interval=10)
    timer.timeout.connect(check)
    timer.start()
    check()


@dataclass(slots=True)
class _Running:
    """The desktop app once built, for the excepthook to parent its dialog on the window."""

    desktop: DesktopApp | None = None


async def _main(options: GuiOptions, running: _Running) -> int:
    from jobmonitor.core.watchlist.opening import StoreError
    from jobmonitor.desktop.demo import DemoSetup, start_demo
    from jobmonitor.desktop.instance import InstanceServer, server_name
    from jobmonitor.desktop.launches import split_launch_args
    from jobmonitor.desktop.root import DesktopApp

    loop = asyncio.get_running_loop()
    quit_now = asyncio.Event()
    server = None
    demo: DemoSetup | None = None
    if options.demo:
        server, demo = await loop.run_in_executor(None, start_demo)
    settings = Settings(demo=options.demo)
    folder = data_dir(demo=options.demo)
    try:
        desktop = DesktopApp(
            settings=settings,
            data_dir=folder,
            base_url=options.base_url,
            demo=demo,
            dark=options.dark,
        )
    except StoreError as exc:  # in use by another, or from a newer version: said, left alone
        log.error("cannot open the watch list: %s", exc)
        print(f"jobmonitor: {exc}", file=sys.stderr)
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(None, "Job Monitor", str(exc))
        if server is not None:
            await loop.run_in_executor(None, server.stop)
        return 1
    running.desktop = desktop
    later = InstanceServer(server_name(folder), desktop.take_launch, desktop)
    if not later.listen():  # the app works; only later launches cannot reach it
        log.warning("later launches cannot reach this window: %s", later.error)
    desktop.quit_requested.connect(quit_now.set)  # Ctrl+Q, the tray's Quit, or closing w/o tray
    if os.environ.get(EXIT_AFTER_SHOWN_ENV) == "1":

        def shown() -> None:
            print("jobmonitor: window shown", file=sys.stderr, flush=True)
            when_restored(desktop, restored)

        def restored() -> None:
            n = desktop.window.model.rowCount()
            print(f"jobmonitor: list restored ({n} jobs)", file=sys.stderr, flush=True)
            quit_now.set()

        desktop.window.shown_first_time.connect(shown)
    previous = signal.signal(signal.SIGINT, lambda *_: loop.call_soon_threadsafe(quit_now.set))
    wake = QTimer(interval=300)  # lets Python see Ctrl+C while Qt waits
    wake.timeout.connect(lambda: None)
    wake.start()
    try:
        text, files = split_launch_args(options.job_ids, os.getcwd())
        desktop.start(add_text=text, add_files=files, minimized=options.minimized)
        await quit_now.wait()
    finally:
        later.close()
        wake.stop()
        signal.signal(signal.SIGINT, previous)
        await desktop.aclose()
        if server is not None:
            await loop.run_in_executor(None, server.stop)
    return 0
