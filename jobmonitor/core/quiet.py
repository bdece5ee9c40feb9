"""Is the desktop asking not to be disturbed? For the tray's balloon, which no centre filters.

A notification centre (freedesktop server, Windows' toasts, macOS' Notification Center) applies
Do Not Disturb itself: the app only marks the one urgent notification (a rejected key). The
tray's balloon, the fallback where there is no centre, has to ask:

- Windows: ``SHQueryUserNotificationState``, the call Windows documents for exactly this (a
  full-screen program, a presentation, the quiet first hour after sign-up, a full-screen Store
  app all say "not now"). Focus Assist also holds back balloons itself (they are toasts since
  Windows 10).
- macOS: Qt shows the balloon through the system's own notifications, so Focus applies there;
  nothing to ask.
- Linux and the BSDs: a StatusNotifierItem tray shows it through the freedesktop server (whose
  Do Not Disturb applies); an old XEmbed tray draws it itself, and with no server on the bus
  there is no Do Not Disturb state to read. Nothing to ask either.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from collections.abc import Callable

log = logging.getLogger(__name__)

QuietCheck = Callable[[], bool]

# QUERY_USER_NOTIFICATION_STATE values (shellapi.h) that mean "not now".
QUNS_NOT_PRESENT = 1  # screen saver, locked, another user: shown, Windows queues it
QUNS_BUSY = 2  # a full-screen program
QUNS_RUNNING_D3D_FULL_SCREEN = 3
QUNS_PRESENTATION_MODE = 4
QUNS_ACCEPTS_NOTIFICATIONS = 5
QUNS_QUIET_TIME = 6  # the first hour after a new user's first sign-in
QUNS_APP = 7  # a full-screen Store app
_QUIET_STATES = frozenset(
    {QUNS_BUSY, QUNS_RUNNING_D3D_FULL_SCREEN, QUNS_PRESENTATION_MODE, QUNS_QUIET_TIME, QUNS_APP}
)


def state_is_quiet(state: int | None) -> bool:
    """Windows' answer as a yes or no; an unknown or failed answer is no (show it)."""
    return state in _QUIET_STATES


def _windows_state() -> int | None:
    if sys.platform != "win32":
        return None
    state = ctypes.c_int(0)
    try:
        result = ctypes.windll.shell32.SHQueryUserNotificationState(ctypes.byref(state))
    except (OSError, AttributeError) as exc:  # Windows before Vista, or a broken shell
        log.info("cannot ask Windows whether to notify: %s", exc)
        return None
    return state.value if result == 0 else None


def _windows_quiet() -> bool:
    return state_is_quiet(_windows_state())


def _never() -> bool:
    return False


def system_quiet(platform: str = sys.platform) -> QuietCheck:
    """The check for ``platform`` (asked at each balloon: the state changes all the time)."""
    return _windows_quiet if platform == "win32" else _never
