"""Uncaught exceptions reach the log and a readable dialog, never stdout, never with the key."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QObject
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from jobmonitor.core import redact
from jobmonitor.ui import errors

KEY = "sk-ERRTEST-5e6f7a8b9c0d"


@pytest.fixture
def logfile(tmp_path: Path) -> Iterator[Path]:
    redact.register_secret(KEY)
    path = errors.setup_logging(logging.INFO, folder=tmp_path / "log")
    yield path
    redact.forget_secret(KEY)
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            root.removeHandler(handler)
            handler.close()


@pytest.fixture
def reporter(qtbot: QtBot, logfile: Path) -> Iterator[errors.ErrorReporter]:
    installed = errors.install_excepthook(lambda: None)
    yield installed
    installed.uninstall()


def _raise_in_hook(message: str) -> None:
    import sys

    try:
        raise ValueError(message)
    except ValueError:
        sys.excepthook(*sys.exc_info())


def _button(box: QMessageBox, text: str) -> QPushButton:
    return next(b for b in box.findChildren(QPushButton) if text in b.text())


def test_log_file_is_rotating_and_redacted(logfile: Path) -> None:
    logging.getLogger("jobmonitor.test").warning("talking to the API with %s", KEY)
    try:
        raise RuntimeError(f"failed with key {KEY}")
    except RuntimeError:
        logging.getLogger("jobmonitor.test").exception("boom")
    text = logfile.read_text(encoding="utf-8")
    assert "talking to the API with [redacted]" in text
    assert "RuntimeError: failed with key [redacted]" in text
    assert KEY not in text
    assert logfile.parent.name == "log"
    assert any(
        isinstance(h, logging.handlers.RotatingFileHandler) for h in logging.getLogger().handlers
    )


def test_default_folder_is_the_platform_log_dir() -> None:
    from jobmonitor.core.paths import log_dir

    path = errors.setup_logging()
    try:
        assert path == log_dir() / errors.LOG_FILE_NAME and path.exists()
    finally:
        root = logging.getLogger()
        for handler in list(root.handlers):
            if isinstance(handler, logging.handlers.RotatingFileHandler):
                root.removeHandler(handler)
                handler.close()


def test_uncaught_exception_shows_a_readable_dialog(
    qtbot: QtBot, reporter: errors.ErrorReporter, logfile: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with qtbot.waitSignal(reporter.shown, timeout=2000) as shown:
        _raise_in_hook(f"the server said no to {KEY}")
    box = shown.args[0]
    assert isinstance(box, QMessageBox) and box.isVisible()
    assert box.text() == (
        "An unexpected error stopped the last action (ValueError: the server said no to [redacted])."
    )
    assert str(logfile) in box.informativeText()
    assert "Traceback (most recent call last)" in box.detailedText()
    assert "_raise_in_hook" in box.detailedText()
    assert KEY not in box.text() + box.informativeText() + box.detailedText()

    _button(box, "Copy").click()
    assert box.isVisible()  # copying leaves the dialog open
    copied = QGuiApplication.clipboard().text()
    assert "ValueError" in copied and KEY not in copied

    out, err = capfd.readouterr()
    assert "Traceback" not in out and "Traceback" not in err
    assert "ValueError: the server said no to [redacted]" in logfile.read_text(encoding="utf-8")


def test_a_burst_of_errors_makes_one_dialog(qtbot: QtBot, reporter: errors.ErrorReporter) -> None:
    with qtbot.waitSignal(reporter.shown, timeout=2000):
        _raise_in_hook("first")
    with qtbot.assertNotEmitted(reporter.shown):
        _raise_in_hook("second")
        _raise_in_hook("third")
    assert reporter.dialog is not None
    assert "2 more error(s)" in reporter.dialog.informativeText()
    reporter.dialog.close()
    qtbot.waitUntil(lambda: reporter.dialog is None)
    with qtbot.waitSignal(reporter.shown, timeout=2000):
        _raise_in_hook("after closing")


def test_exception_in_another_thread_is_shown_in_the_gui_thread(
    qtbot: QtBot, reporter: errors.ErrorReporter
) -> None:
    def work() -> None:
        raise OSError("disk on fire")

    with qtbot.waitSignal(reporter.shown, timeout=3000) as shown:
        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
    assert "OSError: disk on fire" in shown.args[0].text()


class _Worker(QObject):
    @qasync.asyncSlot()
    async def do_work(self) -> None:
        await asyncio.sleep(0)
        raise LookupError("async slot failed")


def test_exception_in_an_async_slot_reaches_the_dialog(
    qtbot: QtBot, reporter: errors.ErrorReporter
) -> None:
    # Marked as running by hand: already_running=True's stop() would call QApplication.exit().
    loop = qasync.QEventLoop(QApplication.instance())
    asyncio.events._set_running_loop(loop)
    try:
        worker = _Worker()
        with qtbot.waitSignal(reporter.shown, timeout=3000) as shown:
            worker.do_work()
        assert "LookupError: async slot failed" in shown.args[0].text()
    finally:
        asyncio.events._set_running_loop(None)
        loop.close()


def test_uninstall_restores_the_previous_hooks(qtbot: QtBot, logfile: Path) -> None:
    import sys

    before, before_thread = sys.excepthook, threading.excepthook
    installed = errors.install_excepthook(lambda: None)
    assert sys.excepthook == installed.excepthook
    installed.uninstall()
    assert sys.excepthook is before and threading.excepthook is before_thread
