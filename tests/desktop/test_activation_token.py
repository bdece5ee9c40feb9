"""A later launch's activation token (Wayland's xdg-activation) reaches Qt for the raise, once.

Qt's Wayland plugin reads ``XDG_ACTIVATION_TOKEN`` from the C environment while the window is
shown or activated (and unsets it); headless there is no compositor to spend it, so the test
looks at that environment at the moment the window shows: the token a second process (a real
``jobmonitor ID`` launch) sent over the local socket is there, and nothing of it is left afterwards.
"""
# ruff: noqa: F811  (the fixtures come from guihelpers by import, not from a conftest)

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
from pathlib import Path

import pytest
from guihelpers import AppFactory, make_app, qloop, sim, world  # noqa: F401
from PySide6.QtCore import QEvent, QObject
from pytestqt.qtbot import QtBot

from jobmonitor.core.paths import data_dir
from jobmonitor.desktop.instance import (
    ACTIVATION_VARIABLES,
    InstanceLock,
    InstanceServer,
    server_name,
)
from jobmonitor.desktop.launches import raise_with_token

JOB = "a1b2c3d4-e5f6-4890-abcd-ef1234567890"
_libc = ctypes.CDLL(None)
_libc.getenv.restype = ctypes.c_char_p
_libc.getenv.argtypes = [ctypes.c_char_p]


def c_environ(name: str) -> str | None:
    """The variable as Qt's qEnvironmentVariable sees it (the C library's environment)."""
    value = _libc.getenv(name.encode())
    return value.decode() if value is not None else None


class ShowWatcher(QObject):
    """Notes the activation token in the environment each time the window is shown."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: list[str | None] = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Show:
            self.tokens.append(c_environ("XDG_ACTIVATION_TOKEN"))
        return False


def test_a_later_launchs_token_is_in_the_environment_while_the_window_is_raised(
    qtbot: QtBot, make_app: AppFactory, tmp_path: Path
) -> None:
    app = make_app(tray_available=True)
    assert not app.window.close()  # hidden to the tray: the launch has to show it again
    watcher = ShowWatcher()
    app.window.installEventFilter(watcher)
    # This process is the running instance for the data folder, as run_gui makes it.
    folder = data_dir()
    lock = InstanceLock(folder)
    assert lock.acquire()
    server = InstanceServer(server_name(folder), app.take_launch, app)
    assert server.listen(), server.error
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", XDG_ACTIVATION_TOKEN="launcher-token-1")
    second = subprocess.Popen(
        [sys.executable, "-m", "jobmonitor", JOB],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=60_000)
    finally:
        if second.poll() is None:
            second.kill()
        out, err = second.communicate()
        server.close()
        lock.release()
    assert second.returncode == 0, err
    assert "Added 1 job" in out
    assert app.window.isVisible()
    assert watcher.tokens == ["launcher-token-1"]
    # Spent: neither a later raise nor a program the app opens gets it.
    for name in ACTIVATION_VARIABLES:
        assert name not in os.environ and c_environ(name) is None


def test_a_raise_without_a_token_leaves_the_environment_alone() -> None:
    seen: list[str | None] = []

    class Window:
        def show_window(self) -> None:
            seen.append(c_environ("XDG_ACTIVATION_TOKEN"))

    raise_with_token(Window(), {"XDG_ACTIVATION_TOKEN": "", "OTHER": "x"})
    raise_with_token(Window(), {"DESKTOP_STARTUP_ID": "x11-id"})
    assert seen == [None, None]
    assert "DESKTOP_STARTUP_ID" not in os.environ and "OTHER" not in os.environ


def test_a_start_in_the_tray_drops_the_launchers_token(
    qtbot: QtBot, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_ACTIVATION_TOKEN", "login-token")
    app = make_app(start=False, tray_available=True)
    app.start(minimized=True)
    assert not app.window.isVisible()
    # The first raise from the tray must ask the compositor for a token of its own.
    assert "XDG_ACTIVATION_TOKEN" not in os.environ and c_environ("XDG_ACTIVATION_TOKEN") is None
    app.show_window()
    qtbot.waitExposed(app.window)
