"""Fixtures for the desktop-app tests: qasync on the test's QApplication, the simulator, the app."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from jobmonitor.core.credentials.store import CredentialStore
from jobmonitor.core.settings import Settings
from jobmonitor.desktop.demo import DemoSetup
from jobmonitor.desktop.root import DesktopApp
from jobmonitor.sim.server import SimServer
from jobmonitor.sim.world import SimWorld

KEY = "gui-test-key-5d1c0a9e7b"
OTHER = "gui-test-other-account-key"

AppFactory = Callable[..., DesktopApp]


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    """qasync's loop on the test's QApplication: coroutines advance while qtbot waits."""
    loop = qasync.QEventLoop(qapp)
    asyncio.events._set_running_loop(loop)
    yield loop
    asyncio.events._set_running_loop(None)
    loop.close()
    # qasync's close() only flags its timer object as stopped: Qt timers still pending stay
    # registered. Kill them here, then collect the loop on this (the GUI) thread: destroyed
    # from another thread by the garbage collector, they fire later on freed memory (segfault).
    timer = loop._timer
    for timer_id in list(timer._SimpleTimer__callbacks):
        timer.killTimer(timer_id)
    del loop, timer
    gc.collect()


@pytest.fixture
def world() -> SimWorld:
    world = SimWorld(rate_limit=None)
    world.add_key(KEY)
    world.add_key(OTHER)
    return world


@pytest.fixture
def sim(world: SimWorld) -> Iterator[SimServer]:
    with SimServer(world) as server:
        yield server


def run(qtbot: QtBot, coro: Coroutine[Any, Any, Any], timeout: int = 15000) -> Any:
    """Run a coroutine on the qasync loop while Qt keeps processing events."""
    task = asyncio.ensure_future(coro)
    qtbot.waitUntil(task.done, timeout=timeout)
    return task.result()


@pytest.fixture
def make_app(
    qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path, sim: SimServer
) -> Iterator[AppFactory]:
    """Build (and start) a DesktopApp on tmp_path/data against the simulator; closed at the end."""
    built: list[DesktopApp] = []

    def make(
        *,
        data_dir: Path | None = None,
        add_text: str = "",
        demo: DemoSetup | None = None,
        key: str | None = KEY,
        start: bool = True,
        tray_available: bool = False,
        notify_service: bool = False,
    ) -> DesktopApp:
        settings = Settings(
            qsettings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
        )
        settings.download_dir = tmp_path / "downloads"
        env = {"JOBMONITOR_API_KEY": key} if key else {}
        app = DesktopApp(
            settings=settings,
            data_dir=data_dir or tmp_path / "data",
            credentials=CredentialStore(environ=env),
            base_url=sim.api_url,
            demo=demo,
            tray_available=tray_available,
            notify_service=notify_service,
        )
        built.append(app)
        if start:
            app.start(add_text=add_text)
            qtbot.waitExposed(app.window)
            # A window shortcut (Ctrl+D, Ctrl+F...) fires only in the active window, and
            # activation arrives after the expose: a test that pressed a shortcut before it
            # (or while an earlier test's window was still active) sent the key to nowhere.
            app.window.activateWindow()
            qtbot.waitUntil(app.window.isActiveWindow)
        return app

    yield make
    for app in built:
        close(qtbot, app)
    built.clear()
    # The app's objects hold each other through connected lambdas (reference cycles). Collect
    # them here, on the GUI thread: if the collector ran on the simulator's thread instead, Qt
    # objects would be destroyed there and leave timers behind that crash a later test.
    gc.collect()


def close(qtbot: QtBot, app: DesktopApp) -> None:
    run(qtbot, app.aclose())


def states(app: DesktopApp) -> dict[str, str]:
    return {job.job_id: job.state.value for job in app.watchlist.jobs()}
