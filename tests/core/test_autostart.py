"""Start at login, read back from the platform's own record (a temporary XDG_CONFIG_HOME here)."""

from __future__ import annotations

import plistlib
from pathlib import Path

import pytest

from jobmonitor import APP_ID
from jobmonitor.core.autostart import Autostart, _desktop_keys, split_exec


def test_the_xdg_entry_is_written_read_back_and_removed(
    isolated_dirs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = isolated_dirs / "xdg_config_home"
    auto = Autostart(platform="linux", command=["/opt/Job Monitor/bin/jobmonitor"])
    entry = config / "autostart" / f"{APP_ID}.desktop"
    assert auto.location == str(entry)
    assert not auto.enabled()

    auto.set_enabled(True)
    assert auto.enabled()
    keys = _desktop_keys(entry.read_text())
    assert split_exec(keys["Exec"]) == ["/opt/Job Monitor/bin/jobmonitor", "--minimized"]
    assert keys["Type"] == "Application" and keys["Icon"] == APP_ID

    auto.set_enabled(False)
    assert not entry.exists() and not auto.enabled()
    auto.set_enabled(False)  # already off: nothing to do, no error


def test_an_entry_the_desktop_disabled_counts_as_off(isolated_dirs: Path) -> None:
    auto = Autostart(platform="linux", command=["jobmonitor"])
    auto.set_enabled(True)
    entry = Path(auto.location)
    # GNOME Tweaks and KDE's autostart page switch an entry off in place, by either key.
    entry.write_text(entry.read_text() + "Hidden=true\n")
    assert not auto.enabled()
    entry.write_text(
        entry.read_text()
        .replace("Hidden=true\n", "")
        .replace("X-GNOME-Autostart-enabled=true", "X-GNOME-Autostart-enabled=false")
    )
    assert not auto.enabled()
    entry.write_text("garbage without a group\nExec=jobmonitor\n")
    assert not auto.enabled()


def test_a_user_made_entry_is_read_as_on(isolated_dirs: Path) -> None:
    auto = Autostart(platform="linux", command=["jobmonitor"])
    entry = Path(auto.location)
    entry.parent.mkdir(parents=True)
    entry.write_text("[Desktop Entry]\nType=Application\nName=Mine\nExec=jobmonitor\n")
    assert auto.enabled()


def test_the_macos_launch_agent_runs_at_load(tmp_path: Path) -> None:
    auto = Autostart(platform="darwin", command=["/Applications/Job Monitor.app/x"], home=tmp_path)
    auto.set_enabled(True)
    plist = plistlib.loads((tmp_path / "Library/LaunchAgents" / f"{APP_ID}.plist").read_bytes())
    assert plist == {
        "Label": APP_ID,
        "ProgramArguments": ["/Applications/Job Monitor.app/x", "--minimized"],
        "RunAtLoad": True,
    }
    assert auto.enabled()
    auto.set_enabled(False)
    assert not auto.enabled()
