"""Before Qt opens a window on X11: are the system libraries of its xcb plugin there?

Qt's xcb plugin needs a handful of libraries a minimal Linux install lacks (``libxcb-cursor0``
first among them since Qt 6.5). Without them Qt prints "Could not load the Qt platform plugin
"xcb"" and aborts the process. Loading the plugin ourselves first (``dlopen``, as Qt would) gets
the loader's own reason, so the app can name the packages instead.
"""

from __future__ import annotations

import ctypes
from collections.abc import Mapping
from pathlib import Path

# What a fresh Debian/Ubuntu machine lacks for Qt 6's xcb plugin (the README lists them too).
DEBIAN_PACKAGES = (
    "libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 "
    "libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 libegl1 libfontconfig1"
)
FEDORA_PACKAGES = "xcb-util-cursor xcb-util-wm xcb-util-image xcb-util-keysyms xcb-util-renderutil"


def xcb_plugin() -> Path:
    import PySide6

    return Path(PySide6.__file__).parent / "Qt" / "plugins" / "platforms" / "libqxcb.so"


def xcb_problem(
    environ: Mapping[str, str], platform: str, plugin: Path | None = None
) -> str | None:
    """Why the X11 window cannot open, naming the packages to install; None when it can (or
    when Qt will not use xcb: Wayland, offscreen, another OS)."""
    if not platform.startswith("linux") or not environ.get("DISPLAY"):
        return None
    wanted = environ.get("QT_QPA_PLATFORM", "")
    if wanted and not wanted.startswith("xcb"):
        return None
    if not wanted and environ.get("WAYLAND_DISPLAY"):
        return None  # Qt takes the Wayland plugin first there
    path = plugin or xcb_plugin()
    if not path.exists():
        return None  # a build without it: Qt will say what it has
    try:
        ctypes.CDLL(str(path))
    except OSError as exc:
        return (
            f"the window cannot open: a system library Qt needs is missing ({exc}). "
            f"Install them (Debian/Ubuntu: sudo apt install {DEBIAN_PACKAGES}; "
            f"Fedora: sudo dnf install {FEDORA_PACKAGES}), or use the command line: "
            "jobmonitor --help"
        )
    return None
