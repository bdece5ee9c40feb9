"""Start at login: read and set the platform's own record of it, never a copy in our settings.

- Linux and other XDG desktops: ``$XDG_CONFIG_HOME/autostart/<app id>.desktop`` (the XDG
  Autostart specification), ``Exec=<this program> --minimized``. An entry that a user disabled
  in their desktop's settings (``Hidden=true``) counts as off.
- Windows: the ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run`` value of the app.
- macOS: a per-user launch agent, ``~/Library/LaunchAgents/<app id>.plist`` with ``RunAtLoad``.

The state is read back from there each time (the user may have changed it elsewhere).
"""

from __future__ import annotations

import os
import plistlib
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from jobmonitor import APP_ID, APP_NAME

MINIMIZED_FLAG = "--minimized"
_RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def launch_command() -> list[str]:
    """How to start this very installation again: the console script, else ``python -m``."""
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if getattr(sys, "frozen", False):  # a PyInstaller bundle: the executable is the app
        return [sys.executable]
    if argv0 is not None and argv0.name.startswith("jobmonitor") and argv0.exists():
        return [str(argv0.resolve())]
    return [sys.executable, "-m", "jobmonitor"]


class Autostart:
    """Whether the app starts at login, for this user, on this platform."""

    def __init__(
        self,
        *,
        platform: str = sys.platform,
        command: Sequence[str] | None = None,
        home: Path | None = None,
    ) -> None:
        self._platform = platform
        self._command = list(command) if command is not None else launch_command()
        self._home = home

    @property
    def supported(self) -> bool:
        return self._platform in ("win32", "darwin") or os.name == "posix"

    @property
    def location(self) -> str:
        """Where the record lives, for the settings' tooltip and diagnostics."""
        if self._platform == "win32":
            return f"HKEY_CURRENT_USER\\{_RUN_KEY}\\{APP_NAME}"
        return str(self._file())

    def _file(self) -> Path:
        home = self._home or Path.home()
        if self._platform == "darwin":
            return home / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
        config = os.environ.get("XDG_CONFIG_HOME", "").strip()
        base = Path(config) if config and Path(config).is_absolute() else home / ".config"
        return base / "autostart" / f"{APP_ID}.desktop"

    def enabled(self) -> bool:
        if self._platform == "win32":
            return _run_value() is not None
        path = self._file()
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return False
        if self._platform == "darwin":
            try:
                return bool(plistlib.loads(text.encode()).get("RunAtLoad"))
            except (plistlib.InvalidFileException, ValueError):
                return False
        entries = _desktop_keys(text)
        return entries.get("Hidden", "false").lower() != "true" and bool(entries.get("Exec"))

    def set_enabled(self, on: bool) -> None:
        """Write or remove the record; raises OSError when the platform refuses."""
        argv = [*self._command, MINIMIZED_FLAG]
        if self._platform == "win32":
            _set_run_value(subprocess_line(argv) if on else None)
            return
        path = self._file()
        if not on:
            path.unlink(missing_ok=True)
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        if self._platform == "darwin":
            plist = {"Label": APP_ID, "ProgramArguments": argv, "RunAtLoad": True}
            data = plistlib.dumps(plist)
        else:
            data = _desktop_entry(argv).encode()
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)


if sys.platform == "win32":
    import winreg

    def _run_value() -> str | None:
        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _RUN_KEY) as key:
                value, _kind = winreg.QueryValueEx(key, APP_NAME)
        except OSError:
            return None
        return str(value) or None

    def _set_run_value(line: str | None) -> None:
        with winreg.CreateKeyEx(winreg.HKEY_CURRENT_USER, _RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
            if line is not None:
                winreg.SetValueEx(key, APP_NAME, 0, winreg.REG_SZ, line)
            elif _run_value() is not None:
                winreg.DeleteValue(key, APP_NAME)

else:

    def _run_value() -> str | None:
        return None

    def _set_run_value(line: str | None) -> None:
        raise OSError("the Run key is a Windows registry key")


def subprocess_line(argv: Sequence[str]) -> str:
    """A Windows command line (the Run key holds one string)."""
    import subprocess

    return subprocess.list2cmdline(list(argv))


def _desktop_entry(argv: Sequence[str]) -> str:
    # Desktop Entry Exec quoting: arguments with spaces in double quotes (shlex's single quotes
    # are not part of the specification).
    def quote(arg: str) -> str:
        if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`"):
            return arg
        escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
        return '"' + escaped.replace("$", "\\$") + '"'

    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        f"Name={APP_NAME}\n"
        f"Icon={APP_ID}\n"
        f"Exec={' '.join(quote(a) for a in argv)}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )


def _desktop_keys(text: str) -> dict[str, str]:
    """The keys of the [Desktop Entry] group (the other groups are actions)."""
    keys: dict[str, str] = {}
    group = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("["):
            group = line
        elif group == "[Desktop Entry]" and "=" in line and not line.startswith("#"):
            name, value = line.split("=", 1)
            keys[name.strip()] = value.strip()
    if keys.get("X-GNOME-Autostart-enabled", "true").lower() == "false":
        keys["Hidden"] = "true"
    return keys


def split_exec(value: str) -> list[str]:
    """An Exec line's arguments (tests read back what was written)."""
    return shlex.split(value)
