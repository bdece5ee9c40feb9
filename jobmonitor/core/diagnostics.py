"""What a bug report needs to know about this installation, and Qt's own warnings in our log.

``diagnostics_text`` gathers versions, the platform, Qt's platform plugin, the keyring backend,
the folders in use and the saved settings, as plain text for Help › Copy diagnostics. It never
holds the API key: settings never store it, and every value still goes through the redactor
(a key pasted into the wrong field, a token in a URL).

``route_qt_messages`` sends ``qDebug``/``qWarning``/… into the ``qt`` logger (so they land in the
rotating log instead of a terminal nobody reads); ``enable_fault_log`` makes a hard crash (a
segfault in Qt) leave its Python stack in ``faults.log`` next to it.
"""

from __future__ import annotations

import faulthandler
import logging
import platform
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import (
    QMessageLogContext,
    QSettings,
    QtMsgType,
    qInstallMessageHandler,
    qVersion,
)

from jobmonitor import APP_NAME, __version__
from jobmonitor.core.redact import redact

FAULT_LOG = "faults.log"
_qt_log = logging.getLogger("qt")
_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}
_fault_file: IO[str] | None = None
_SECRET_WORDS = ("key", "token", "secret", "password")


def _on_qt_message(kind: QtMsgType, context: QMessageLogContext, message: str) -> None:
    where = f" ({context.category})" if context.category and context.category != "default" else ""
    _qt_log.log(_LEVELS.get(kind, logging.WARNING), "%s%s", message, where)


def route_qt_messages() -> object:
    """Install the handler; returns the one it replaced (tests put it back)."""
    return qInstallMessageHandler(_on_qt_message)


def enable_fault_log(folder: Path) -> Path:
    """faulthandler needs a file descriptor of its own (the rotating log's may be swapped)."""
    global _fault_file
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FAULT_LOG
    if _fault_file is None:
        _fault_file = path.open("a", encoding="utf-8")  # kept open: a crash writes into it
        faulthandler.enable(file=_fault_file, all_threads=True)
    return path


def _settings_lines(settings: QSettings) -> list[str]:
    lines = []
    for name in sorted(settings.allKeys()):
        if any(word in name.lower() for word in _SECRET_WORDS):
            lines.append(f"  {name} = (not shown)")
            continue
        value = settings.value(name)
        lines.append(f"  {name} = {redact(str(value))[:200]}")
    return lines


def diagnostics_text(
    *,
    qt_platform: str,
    keyring_backend: str,
    folders: Mapping[str, Path | str],
    settings: QSettings | None = None,
    extra: Iterable[tuple[str, str]] = (),
) -> str:
    """The text Help › Copy diagnostics puts on the clipboard."""
    lines = [
        f"{APP_NAME} {__version__}",
        f"Python {sys.version.split()[0]} ({platform.python_implementation()})",
        f"Qt {qVersion()}, PySide6 {pyside_version}, platform plugin {qt_platform or '?'}",
        f"OS {platform.platform()}",
        f"Keyring backend {keyring_backend}",
    ]
    lines += [f"{name}: {value}" for name, value in extra]
    lines.append("Folders:")
    lines += [f"  {name}: {path}" for name, path in folders.items()]
    if settings is not None:
        lines.append(f"Settings ({settings.fileName()}):")
        lines += _settings_lines(settings) or ["  (none saved)"]
    return redact("\n".join(lines)) + "\n"
