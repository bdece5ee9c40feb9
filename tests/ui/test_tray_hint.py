"""The tray's own messages and whether a hidden window can be brought back from it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from jobmonitor.core.settings import Settings
from jobmonitor.ui.tray import TrayController


def _settings(tmp_path: Path) -> Settings:
    return Settings(qsettings=QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))


def test_without_a_tray_nothing_can_bring_the_window_back(qtbot: QtBot, tmp_path: Path) -> None:
    tray = TrayController(_settings(tmp_path), tray_available=False)
    assert not tray.can_bring_back
    with qtbot.assertNotEmitted(tray.message_shown):
        assert not tray.show_message("Job Monitor", "hello")


def test_a_tray_brings_the_window_back_and_shows_messages(qtbot: QtBot, tmp_path: Path) -> None:
    tray = TrayController(_settings(tmp_path), tray_available=True)  # offscreen: forced
    try:
        assert tray.can_bring_back
        with qtbot.waitSignal(tray.message_shown) as blocker:
            assert tray.show_message("Job Monitor", "keeps watching")
        assert blocker.args == ["Job Monitor", "keeps watching"]
    finally:
        tray.hide()
