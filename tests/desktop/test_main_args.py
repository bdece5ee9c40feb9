"""The GUI's command line: ids to add (good or bad, reported in the window), options, dark mode."""

from __future__ import annotations

import pytest

from jobmonitor.desktop.main import DARK_ENV, parse_gui_args
from jobmonitor.ui.palette import dark_palette

JOB = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"


def test_ids_and_options() -> None:
    options = parse_gui_args(["--base-url", "http://127.0.0.1:9", JOB, "not-an-id", "-x"])
    assert options.base_url == "http://127.0.0.1:9"
    assert not options.demo and not options.dark
    # Bad ids are kept for the window to reject with a reason; nothing is refused here.
    assert options.job_ids == (JOB, "not-an-id", "-x")


def test_demo_and_dark(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_gui_args(["--demo", "--dark"]).dark
    monkeypatch.setenv(DARK_ENV, "1")
    options = parse_gui_args(["--demo"])
    assert options.demo and options.dark and options.job_ids == ()


def test_unknown_long_options_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        parse_gui_args(["--bogus", JOB])
    assert exc.value.code == 2
    assert "--bogus" in capsys.readouterr().err


def test_dark_palette_is_dark() -> None:
    from PySide6.QtGui import QPalette

    palette = dark_palette()
    assert palette.color(QPalette.ColorRole.Window).lightness() < 60
    assert palette.color(QPalette.ColorRole.Text).lightness() > 200


def test_no_display_is_said_in_words_not_a_qt_abort() -> None:
    from jobmonitor.desktop.main import display_problem

    problem = display_problem({}, "linux")
    assert problem is not None and "DISPLAY" in problem and "jobmonitor --help" in problem
    assert display_problem({"DISPLAY": ":0"}, "linux") is None
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0"}, "linux") is None
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None


def test_the_gui_without_a_display_exits_2_with_the_message() -> None:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("QT_QPA_PLATFORM", None)
    done = subprocess.run(
        [sys.executable, "-m", "jobmonitor"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    assert "no display" in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
