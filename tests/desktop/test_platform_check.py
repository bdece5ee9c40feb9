"""Missing X11 libraries are named with the packages to install, before Qt aborts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from jobmonitor.desktop.platform_check import DEBIAN_PACKAGES, xcb_plugin, xcb_problem


def test_a_plugin_that_does_not_load_is_explained(tmp_path: Path) -> None:
    broken = tmp_path / "libqxcb.so"
    broken.write_bytes(b"not an ELF file")
    problem = xcb_problem({"DISPLAY": ":0"}, "linux", broken)
    assert problem is not None
    assert "libxcb-cursor0" in problem and "jobmonitor --help" in problem
    assert "libqxcb.so" in problem  # the loader's own reason is kept


def test_only_where_qt_would_use_xcb(tmp_path: Path) -> None:
    broken = tmp_path / "libqxcb.so"
    broken.write_bytes(b"x")
    for environ, platform in (
        ({"DISPLAY": ":0"}, "darwin"),
        ({}, "linux"),
        ({"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, "linux"),
        ({"DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0"}, "linux"),
    ):
        assert xcb_problem(environ, platform, broken) is None, environ
    assert xcb_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}, "linux", broken)


def test_the_app_says_so_and_exits_2_instead_of_aborting(tmp_path: Path) -> None:
    if xcb_problem({"DISPLAY": ":0"}, "linux") is None:
        import pytest

        pytest.skip(f"this machine has every library {xcb_plugin().name} needs")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = ":99"
    result = subprocess.run(
        [sys.executable, "-m", "jobmonitor"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2, result.stderr
    assert DEBIAN_PACKAGES.split()[0] in result.stderr and "Traceback" not in result.stderr
