"""Notifications through Windows' and macOS' own centres, via desktop-notifier (no Qt).

desktop-notifier speaks WinRT toasts on Windows 10+ and UNUserNotificationCenter on macOS; it
was turned down for Linux only (its D-Bus backend cannot replace a notification and sends no
desktop-entry hint: ``freedesktop.py`` does that). Here it sits behind the same interface as
the freedesktop client, with the same integer ids, so ``desktop.notify`` does not care which.

How the app's habits map onto it:

- Replacing: both centres replace a notification posted again under the same identifier
  (a toast's tag, a request's identifier), so ``replaces`` reuses the old one's identifier
  and keeps its id, as a freedesktop server does with ``replaces_id``.
- Do Not Disturb: ``Urgency.CRITICAL`` becomes a high-priority toast / a time-sensitive
  request (shown through Focus where the user allows it); everything else is held back.
- Failure is a None, never an exception: desktop-notifier logs a failed send and returns, so
  a send counts as shown only when its ``on_dispatched`` ran.
- Where it cannot work (macOS outside an app bundle, where desktop-notifier picks its dummy
  backend; toasts off or unavailable on Windows) ``start`` is False and the app uses the
  tray's balloon.

The library is imported on demand: it is installed on Windows and macOS (and for the tests,
which drive this code through its D-Bus backend against a fake server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections.abc import Sequence
from typing import TYPE_CHECKING

from jobmonitor.core.notify_service import DEFAULT_ACTION, ActionHandler, ClosedHandler, Urgency

if TYPE_CHECKING:
    from desktop_notifier import DesktopNotifier

log = logging.getLogger(__name__)

CALL_TIMEOUT = 5.0  # seconds: a stuck centre must not hold a notification (or quitting)
# macOS asks the user the first time: what to say waits for the answer, this long at most.
AUTHORISATION_TIMEOUT = 60.0
# What can go wrong building or asking a backend: no WinRT notification platform (OSError),
# no toast notifier or a closed bus (RuntimeError), the library missing (ImportError).
_BACKEND_ERRORS = (OSError, RuntimeError, ImportError, ValueError, TimeoutError)
_BACKEND_NAMES = {
    "WinRTDesktopNotifier": "Windows notifications (WinRT toasts)",
    "CocoaNotificationCenter": "macOS Notification Center",
    "DBusDesktopNotifier": "org.freedesktop.Notifications through desktop-notifier",
}


class NativeNotifications:
    """The platform's notification centre through desktop-notifier, with integer ids."""

    def __init__(
        self, app_name: str, *, on_action: ActionHandler, on_closed: ClosedHandler
    ) -> None:
        self._app_name = app_name
        self._on_action = on_action
        self._on_closed = on_closed
        self._notifier: DesktopNotifier | None = None
        self._next_id = 1
        self._identifiers: dict[int, str] = {}  # our id -> desktop-notifier's identifier
        self._ids: dict[str, int] = {}
        # Identifiers of this session only: the centres keep notifications across restarts,
        # and "jm-1" again would replace yesterday's. Short: a toast's tag was once 16 chars.
        self._session = secrets.token_hex(3)
        self.server = ""

    @property
    def available(self) -> bool:
        return self._notifier is not None

    async def start(self) -> bool:
        try:
            await asyncio.wait_for(self._connect(), CALL_TIMEOUT + AUTHORISATION_TIMEOUT)
        except _BACKEND_ERRORS as exc:
            log.info("no native notification centre: %s", exc or type(exc).__name__)
            self._notifier = None
            return False
        return self._notifier is not None

    async def _connect(self) -> None:
        from desktop_notifier import DesktopNotifier
        from desktop_notifier.main import get_backend_class

        backend = get_backend_class().__name__
        if backend == "DummyNotificationCenter":
            # macOS outside an app bundle (or an unsupported system): it would drop them all.
            log.info("no native notification centre here (%s)", backend)
            return
        # No app_icon: desktop-notifier's default is the Python logo.
        notifier = DesktopNotifier(app_name=self._app_name, app_icon=None)
        if not await notifier.request_authorisation():
            log.info("notifications are not allowed for %s in the system settings", self._app_name)
            return
        notifier.on_clicked = lambda ident: self._acted(ident, DEFAULT_ACTION)
        notifier.on_button_pressed = self._acted
        notifier.on_dismissed = self._dismissed
        self.server = _BACKEND_NAMES.get(backend, backend)
        self._notifier = notifier

    async def notify(
        self,
        title: str,
        body: str,
        *,
        actions: Sequence[tuple[str, str]] = (),
        urgency: Urgency = Urgency.NORMAL,
        replaces: int = 0,
        icon: str = "",
        category: str = "",
    ) -> int | None:
        """Show (or, with ``replaces``, update) a notification; its id, or None if it failed.
        ``icon`` and ``category`` are freedesktop's: the centres show the app's own icon."""
        from desktop_notifier import Button, Notification
        from desktop_notifier import Urgency as NativeUrgency

        if self._notifier is None:
            return None
        nid = replaces if replaces in self._identifiers else self._new_id()
        dispatched = asyncio.Event()
        note = Notification(
            title,
            body,
            urgency={
                Urgency.LOW: NativeUrgency.Low,
                Urgency.NORMAL: NativeUrgency.Normal,
                Urgency.CRITICAL: NativeUrgency.Critical,
            }[urgency],
            # A click on the body is the default action: no button for it.
            buttons=tuple(
                Button(title=label, identifier=key)
                for key, label in actions
                if key != DEFAULT_ACTION
            ),
            on_dispatched=dispatched.set,
            identifier=self._identifiers.get(nid) or f"jm-{self._session}-{nid}",
        )
        try:
            await asyncio.wait_for(self._notifier.send_notification(note), CALL_TIMEOUT)
        except _BACKEND_ERRORS as exc:
            log.warning("native notification not shown: %s", exc or type(exc).__name__)
            return None
        if not dispatched.is_set():  # desktop-notifier logged why and carried on
            log.warning("native notification not shown (see the warning above)")
            return None
        self._identifiers[nid] = note.identifier
        self._ids[note.identifier] = nid
        return nid

    async def showing(self, nid: int) -> bool:
        """Still in the centre (a banner that timed out is still there, in its list)?"""
        identifier = self._identifiers.get(nid)
        if self._notifier is None or identifier is None:
            return False
        try:
            current = await asyncio.wait_for(
                self._notifier.get_current_notifications(), CALL_TIMEOUT
            )
        except _BACKEND_ERRORS:
            return False
        if identifier in current:
            return True
        self._forget(identifier)  # cleared from the centre by the user: closed
        return False

    def _new_id(self) -> int:
        nid, self._next_id = self._next_id, self._next_id + 1
        return nid

    def _acted(self, identifier: str, key: str) -> None:
        nid = self._ids.get(identifier)
        if nid is None:
            return
        self._on_action(nid, key)
        self._forget(identifier)  # both centres take a notification away once it is acted on

    def _dismissed(self, identifier: str) -> None:
        self._forget(identifier)

    def _forget(self, identifier: str) -> None:
        nid = self._ids.pop(identifier, None)
        if nid is not None:
            self._identifiers.pop(nid, None)
            self._on_closed(nid)

    async def aclose(self) -> None:
        notifier, self._notifier = self._notifier, None
        self._identifiers.clear()
        self._ids.clear()
        # desktop-notifier has no close: its D-Bus backend (the tests') keeps a bus connection
        # open for good. The native backends hold none.
        bus = getattr(getattr(notifier, "_backend", None), "bus", None)
        if bus is not None:
            bus.disconnect()
            with contextlib.suppress(*_BACKEND_ERRORS, EOFError):
                await asyncio.wait_for(bus.wait_for_disconnect(), CALL_TIMEOUT)
