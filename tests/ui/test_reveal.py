"""Show in folder selects the file (the file manager's D-Bus ShowItems, explorer /select, open -R),
and a file that cannot be opened or shown says why."""

# ruff: noqa: F811  (the fixture comes from filemanagerfake by import, not from a conftest)
from __future__ import annotations

from pathlib import Path

import pytest
from filemanagerfake import FileManager, file_manager  # noqa: F401 - fixture
from PySide6.QtCore import QUrl
from pytestqt.qtbot import QtBot
from uihelpers import collect_on_gui_thread  # noqa: F401 - autouse fixture

from jobmonitor.ui.reveal import FileShower


class Desktop:
    def __init__(self, answer: bool = True) -> None:
        self.opened: list[str] = []
        self.started: list[tuple[str, list[str]]] = []
        self.answer = answer

    def open_url(self, url: QUrl) -> bool:
        self.opened.append(url.toLocalFile())
        return self.answer

    def start(self, program: str, args: list[str]) -> bool:
        self.started.append((program, args))
        return True


def _outcome(shower: FileShower) -> list[str]:
    out: list[str] = []
    shower.shown.connect(out.append)
    shower.failed.connect(out.append)
    return out


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "result.csv"
    path.write_text("a,b\n")
    return path


def test_linux_asks_the_file_manager_to_select_the_file(
    qtbot: QtBot, file_manager: FileManager, saved: Path
) -> None:
    desktop = Desktop()
    shower = FileShower(open_url=desktop.open_url, platform="linux")
    out = _outcome(shower)
    shower.show_in_folder(saved)
    qtbot.waitUntil(lambda: bool(out))
    assert out == ["selected"] and desktop.opened == []
    assert file_manager.next_call() == ([QUrl.fromLocalFile(str(saved)).toString()], "")


def test_without_a_file_manager_on_the_bus_the_folder_opens(qtbot: QtBot, saved: Path) -> None:
    desktop = Desktop()
    shower = FileShower(open_url=desktop.open_url, platform="linux")
    out = _outcome(shower)
    shower.show_in_folder(saved)
    qtbot.waitUntil(lambda: bool(out))
    assert out == ["folder"] and desktop.opened == [str(saved.parent)]


@pytest.mark.parametrize(
    ("platform", "program", "args"),
    [("win32", "explorer", ["/select,{}"]), ("darwin", "open", ["-R", "{}"])],
)
def test_windows_and_macos_select_the_file_with_their_own_command(
    saved: Path, platform: str, program: str, args: list[str]
) -> None:
    desktop = Desktop()
    shower = FileShower(open_url=desktop.open_url, start=desktop.start, platform=platform)
    out = _outcome(shower)
    shower.show_in_folder(saved)
    assert out == ["selected"]
    assert desktop.started == [(program, [a.format(saved) for a in args])]


def test_failures_say_why(saved: Path) -> None:
    desktop = Desktop(answer=False)
    shower = FileShower(open_url=desktop.open_url, start=lambda _p, _a: False, platform="win32")
    out = _outcome(shower)
    shower.open_file(saved)
    shower.show_in_folder(saved)
    saved.unlink()
    shower.open_file(saved)
    shower.show_in_folder(saved.parent / "gone" / "x.csv")
    assert out == [
        "Could not open result.csv: no application is set to open “.csv” files. "
        "Use Show in folder and open it from there.",
        f"Could not show result.csv: no file manager could be started. It is in {saved.parent}.",
        f"Could not open result.csv: it is no longer in {saved.parent} (moved or deleted?).",
        f"Could not show x.csv: its folder {saved.parent / 'gone'} no longer exists.",
    ]
