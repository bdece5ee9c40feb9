"""Qt's own warnings reach the rotating log; a hard crash leaves its stack in faults.log."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import qInstallMessageHandler, qWarning

from jobmonitor.core.diagnostics import FAULT_LOG, route_qt_messages


def test_qt_warnings_go_to_the_qt_logger(caplog: pytest.LogCaptureFixture) -> None:
    previous = route_qt_messages()
    try:
        with caplog.at_level(logging.WARNING, logger="qt"):
            qWarning("QFont::setPointSize: Point size <= 0 (-1)")
    finally:
        qInstallMessageHandler(previous)  # pytest-qt's own, for the other tests
    assert [r.getMessage() for r in caplog.records if r.name == "qt"] == [
        "QFont::setPointSize: Point size <= 0 (-1)"
    ]


def test_a_segfault_leaves_its_python_stack_in_the_fault_log(tmp_path: Path) -> None:
    crash = (
        "import ctypes, pathlib\n"
        "from jobmonitor.core.diagnostics import enable_fault_log\n"
        f"enable_fault_log(pathlib.Path({str(tmp_path)!r}))\n"
        "def deep_in_the_app():\n"
        "    ctypes.string_at(0)\n"
        "deep_in_the_app()\n"
    )
    result = subprocess.run([sys.executable, "-c", crash], capture_output=True, timeout=60)
    assert result.returncode != 0
    text = (tmp_path / FAULT_LOG).read_text()
    assert "Segmentation fault" in text and "deep_in_the_app" in text
