"""What the app asks of a desktop notification service, and which one each platform gets.

Two implementations behind one interface (no Qt in either):

- ``freedesktop.FreedesktopNotifications``: ``org.freedesktop.Notifications`` over D-Bus
  (Linux and the BSDs: GNOME, KDE, XFCE, dunst, mako…), with or without a tray;
- ``native_notify.NativeNotifications``: Windows' toasts (WinRT) and macOS' Notification Center
  (UNUserNotificationCenter) through desktop-notifier's native backends.

Where neither can be used (no server on the bus, macOS outside an app bundle, notifications
off in Windows' settings) ``start`` returns False and the app falls back to the tray's balloon.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from enum import IntEnum
from typing import Protocol

ActionHandler = Callable[[int, str], None]  # (notification id, action key)
ClosedHandler = Callable[[int], None]  # notification id
DEFAULT_ACTION = "default"  # the key of a click on the notification itself


class Urgency(IntEnum):
    """The freedesktop levels; the native centres map them to their own."""

    LOW = 0
    NORMAL = 1
    CRITICAL = 2  # shown through Do Not Disturb: only for what the user must act on


class NotificationService(Protocol):
    """One connection to the platform's notification centre.

    ``notify`` returns the service's id for the notification (pass it as ``replaces`` to
    update it in place), or None when it could not be shown. Clicks and closes come back
    through the ``on_action`` / ``on_closed`` handlers given when it was built.
    """

    @property
    def available(self) -> bool: ...

    @property
    def server(self) -> str: ...  # what serves them, for the log and diagnostics

    async def start(self) -> bool: ...

    async def showing(self, nid: int) -> bool: ...  # still shown, so a burst may fold into it

    async def notify(
        self,
        title: str,
        body: str,
        /,
        *,
        actions: Sequence[tuple[str, str]] = (),
        urgency: Urgency = Urgency.NORMAL,
        replaces: int = 0,
        icon: str = "",
        category: str = "",
    ) -> int | None: ...

    async def aclose(self) -> None: ...


def uses_freedesktop(platform: str = sys.platform) -> bool:
    """Linux and the BSDs speak freedesktop; Windows and macOS have centres of their own."""
    return platform not in ("win32", "darwin")


def platform_service(
    app_name: str,
    *,
    desktop_entry: str,
    on_action: ActionHandler,
    on_closed: ClosedHandler,
    platform: str = sys.platform,
) -> NotificationService:
    """The service for ``platform``. Imported on demand: jeepney is not installed on Windows
    or macOS, desktop-notifier only there (and for the tests)."""
    if uses_freedesktop(platform):
        from jobmonitor.core.freedesktop import FreedesktopNotifications

        return FreedesktopNotifications(
            app_name, desktop_entry=desktop_entry, on_action=on_action, on_closed=on_closed
        )
    from jobmonitor.core.native_notify import NativeNotifications

    return NativeNotifications(app_name, on_action=on_action, on_closed=on_closed)
