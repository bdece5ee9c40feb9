"""Opening a saved file, and showing it selected in the file manager, saying why when it fails.

"Show in folder" selects the file where the desktop can: the freedesktop file-manager D-Bus
interface (``org.freedesktop.FileManager1.ShowItems``: Nautilus, Dolphin, Nemo, Caja, Thunar…)
on Linux, ``explorer /select,`` on Windows, ``open -R`` on macOS. Without any of these, the
folder is opened. ``QDesktopServices.openUrl`` only says yes or no; the reasons a person can act
on (the file is gone, nothing opens this type) are checked here.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QProcess, QUrl, Signal
from PySide6.QtDBus import (
    QDBusConnection,
    QDBusMessage,
    QDBusPendingCall,
    QDBusPendingCallWatcher,
)
from PySide6.QtGui import QDesktopServices

UrlOpener = Callable[[QUrl], bool]
Starter = Callable[[str, list[str]], bool]

FILE_MANAGER = ("org.freedesktop.FileManager1", "/org/freedesktop/FileManager1")
_DBUS_TIMEOUT_MS = 5000  # a file manager that starts on demand may take a moment


def _start_detached(program: str, args: list[str]) -> bool:
    ok, _pid = QProcess.startDetached(program, args)
    return bool(ok)


def missing_reason(path: Path) -> str | None:
    """Why ``path`` cannot be shown or opened, if it is gone."""
    if path.exists():
        return None
    if not path.parent.is_dir():
        return f"its folder {path.parent} no longer exists"
    return f"it is no longer in {path.parent} (moved or deleted?)"


class FileShower(QObject):
    """Opens files and shows them in their folder; ``failed`` says what went wrong, and why."""

    failed = Signal(str)
    shown = Signal(str)  # how the file was shown: "selected", "folder" (tests and logs)

    def __init__(
        self,
        parent: QObject | None = None,
        *,
        open_url: UrlOpener | None = None,
        start: Starter = _start_detached,
        platform: str = sys.platform,
        bus: QDBusConnection | None = None,
    ) -> None:
        super().__init__(parent)
        self._open_url: UrlOpener = open_url or QDesktopServices.openUrl
        self._start = start
        self._platform = platform
        self._bus = bus
        self._watchers: set[QDBusPendingCallWatcher] = set()

    def open_file(self, path: Path) -> bool:
        gone = missing_reason(path)
        if gone is not None:
            self.failed.emit(f"Could not open {path.name}: {gone}.")
            return False
        if not self._open_url(QUrl.fromLocalFile(str(path))):
            kind = f"“{path.suffix}” files" if path.suffix else "files without an extension"
            self.failed.emit(
                f"Could not open {path.name}: no application is set to open {kind}. "
                "Use Show in folder and open it from there."
            )
            return False
        return True

    def show_in_folder(self, path: Path) -> None:
        gone = missing_reason(path)
        if gone is not None:
            self.failed.emit(f"Could not show {path.name}: {gone}.")
            return
        if self._platform == "win32":
            started = self._start("explorer", [f"/select,{path}"])
        elif self._platform == "darwin":
            started = self._start("open", ["-R", str(path)])
        else:
            started = self._show_items(path)
            if started:
                return  # the answer decides (selected, or the folder as a fallback)
        if started:
            self.shown.emit("selected")
        else:
            self._open_folder(path)

    def _show_items(self, path: Path) -> bool:
        bus = self._bus if self._bus is not None else QDBusConnection.sessionBus()
        if not bus.isConnected():
            return False
        service, object_path = FILE_MANAGER
        message = QDBusMessage.createMethodCall(service, object_path, service, "ShowItems")
        message.setArguments([[QUrl.fromLocalFile(str(path)).toString()], ""])
        watcher = QDBusPendingCallWatcher(bus.asyncCall(message, _DBUS_TIMEOUT_MS), self)
        self._watchers.add(watcher)
        watcher.finished.connect(lambda w, p=path: self._answered(w, p))
        return True

    def _answered(self, watcher: QDBusPendingCall, path: Path) -> None:
        assert isinstance(watcher, QDBusPendingCallWatcher)
        self._watchers.discard(watcher)
        watcher.deleteLater()
        if watcher.isError():  # no file manager on the bus: the folder, at least
            self._open_folder(path)
        else:
            self.shown.emit("selected")

    def _open_folder(self, path: Path) -> None:
        if self._open_url(QUrl.fromLocalFile(str(path.parent))):
            self.shown.emit("folder")
        else:
            self.failed.emit(
                f"Could not show {path.name}: no file manager could be started. "
                f"It is in {path.parent}."
            )
