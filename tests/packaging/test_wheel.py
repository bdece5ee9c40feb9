"""The wheel built from this tree carries the icons, and an install of it finds and draws them."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP_ID = "com.apidatatools.JobMonitor"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out)]
    if importlib.util.find_spec("hatchling") is not None:
        command.append("--no-build-isolation")  # no need to fetch the build backend again
    subprocess.run([*command, str(REPO)], check=True, timeout=300)
    (built,) = out.glob("jobmonitor-*.whl")
    return built


def test_wheel_carries_every_icon_and_sample_and_nothing_else_from_resources(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    packed = {n.removeprefix("jobmonitor/_resources/") for n in names if "/_resources/" in n}
    sources = {
        p.relative_to(REPO / "resources").as_posix()
        for p in (REPO / "resources").rglob("*")
        if p.is_file() and (p.suffix == ".svg" or p.parent.name == "samples")
    }
    assert "samples/broken-trailing-comma.json" in packed  # demo mode's inputs to submit
    assert f"{APP_ID}.svg" in packed
    assert "icons/light/status-success.svg" in packed
    assert packed == sources  # screenshots and notes stay out; every SVG goes in
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert (
        "jobmonitor = jobmonitor.__main__:main"
        in zipfile.ZipFile(wheel).read(entry_points).decode()
    )


def test_installed_wheel_loads_its_own_icons(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Dependencies (PySide6 ...) come from the test venv, added after the new venv's own
    # site-packages, so the wheel's copy of jobmonitor wins over this editable checkout.
    deps = sysconfig.get_paths()["purelib"]
    Path(site, "zz_test_deps.pth").write_text(f"import site; site.addsitedir({deps!r})\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    probe = (
        "from PySide6.QtGui import QGuiApplication\n"
        "app = QGuiApplication([])\n"
        "from jobmonitor.core.state import ApiCondition, JobState\n"
        "from jobmonitor.ui import icons\n"
        "assert all(not icons.status_icon(s, dark=d).pixmap(24).isNull()"
        " for s in JobState for d in (False, True))\n"
        "assert all(not icons.connection_icon(c).pixmap(24).isNull() for c in ApiCondition)\n"
        "assert not icons.app_icon().pixmap(256).isNull()\n"
        "print(icons.resources_dir())\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [str(python), "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    found = Path(result.stdout.strip())
    assert found == Path(site) / "jobmonitor" / "_resources"
